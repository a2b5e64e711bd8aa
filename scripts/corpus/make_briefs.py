"""Write briefs/<writer>.md and writers.json for every corpus writer."""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "forum" / "moderation" / "crisis" / "corpus"
COUNTS = {"total": 100, "urgent": 30, "concern": 28, "none": 42, "hard": 24}
LANG_NAME = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}

VOICES = {
    "en": [
        "a woman in her 50s from Glasgow, Scotland: Scots words (wee, aye, dinnae, greetin), dry humour, long run-on sentences",
        "a man in his 30s from rural Alabama, USA: Southern turns of phrase, church references, plain words, few commas",
        "a university student in Melbourne, Australia, about 20: Aussie slang (heaps, reckon, arvo), lowercase, texting abbreviations",
        "a retired schoolteacher from Dublin, Ireland, in her 70s: careful, polite, Irish idiom (grand, giving out, the craic), full sentences",
        "a nurse in Lagos, Nigeria, in her 40s: Nigerian English (abeg, wahala, I am just managing), faith language, direct",
        "a software engineer from Bangalore, India, in his late 20s: Indian English (do the needful, only, itself, prepone), formal but anxious",
        "a London teenager of 17: roadman and internet slang (innit, peak, lowkey, ngl, fr), emojis as words, typos, no capitals",
        "a farmer in his 60s from Iowa, USA: terse, few words, weather and farm talk, understatement",
        "a mother in her 30s from Manchester, England: Northern English (our kid, mardy, proper, nowt), chatty, swears a bit",
        "a veteran in his 40s from Texas, USA: military slang, short clipped sentences, dark humour, some misspellings",
        "a gay man in his 30s from Toronto, Canada: wry, self-aware, therapy vocabulary, parentheses and asides",
    ],
    "es": [
        "una mujer de unos 45 años de Ciudad de México: mexicanismos (neta, ahorita, chido, no manches, güey), diminutivos",
        "un joven de 22 años de Buenos Aires, Argentina: voseo (vos tenés, sabés), lunfardo (boludo, laburo, re), sin tildes a veces",
        "un hombre de 60 años de Sevilla, España: andaluz escrito (pa, to, mu), expresiones de mayor, frases largas",
        "una estudiante de 19 años de Medellín, Colombia: parlache (parce, bacano, qué pena, mi amor), abreviaturas de chat (q, xq, tb)",
        "una madre de 35 años de Santiago de Chile: chilenismos (po, cachai, al tiro, fome, weón), mucha coma y puntos suspensivos",
        "un enfermero de 30 años de Madrid: jerga de España (tío, mogollón, currar, flipar, vale), irónico",
        "una señora de 70 años de Lima, Perú: trato formal (usted), religiosa, peruanismos (pata, chamba, causa), mayúsculas raras",
        "un joven de 25 años de San Juan, Puerto Rico: boricua (wepa, janguear, brutal, mano), spanglish, faltas de ortografía",
    ],
    "fr": [
        "un étudiant parisien de 20 ans : verlan et argot (relou, chelou, ouf, wesh, genre, grave), SMS (jsp, tkt, mdr, pk), peu d'accents",
        "une femme de 40 ans de Montréal, Québec : québécismes (char, blonde, tabarnak, c'est plate, pantoute, icitte)",
        "un homme de 55 ans de Liège, Belgique : belgicismes (septante, nonante, une fois, savoir pour pouvoir, kot), poli",
        "une mère de 35 ans de Marseille : parler du Midi (fada, dégun, cagole, peuchère, se cailler), exclamatif",
        "une infirmière de 45 ans de Lausanne, Suisse romande : helvétismes (natel, huitante, panosse, cornet), sobre et précise",
        "un retraité de 72 ans de Lyon : phrases longues et soignées, vouvoiement, lyonnaiseries (gones, mâchon), pudeur",
        "un jeune de 24 ans d'Abidjan, Côte d'Ivoire : français ivoirien et nouchi (enjaillement, gâter, on dit quoi, c'est pas facile hein)",
        "une aide-soignante de 50 ans de Lille : ch'ti léger (biloute, drache, ch'est), fautes d'orthographe, ponctuation rare",
    ],
    "de": [
        "ein 23-jähriger aus Berlin: Berlinerisch (icke, wat, nee, keen Bock, Alter), Kleinschreibung, Chat-Abkürzungen (kp, vllt, iwie)",
        "eine 58-jährige aus Wien, Österreich: Wienerisch (leiwand, Oida, Gspusi, hackeln, fesch, Jänner), Schmäh, lange Sätze",
        "ein 40-jähriger aus Zürich, Schweiz, der Hochdeutsch mit Helvetismen schreibt (Velo, parkieren, grüezi, Natel, ss statt ß)",
        "eine 35-jährige Mutter aus dem Ruhrgebiet: Ruhrdeutsch (watt, getz, Omma, malochen, Pommes rot-weiß), direkt, herzlich",
        "ein 65-jähriger aus Hamburg: norddeutsch (moin, Schietwetter, dröge, tüddelig), wortkarg, trocken",
        "eine 19-jährige aus Leipzig, Sachsen: sächsisch angehaucht (nu, ni, gelle, heeme), Jugendsprache (cringe, lost, safe, digga), Tippfehler",
        "ein 50-jähriger Handwerker aus Stuttgart: schwäbisch (schaffe, Häusle, gell, des isch, bissle), sparsam mit Worten",
        "eine 30-jährige Pflegekraft aus Köln: kölsch angehaucht (Jeck, Kölsch, et hätt noch immer jot jejange), Anglizismen, offen",
    ],
}

#: Writers added so that each language's frozen test split holds at least 100 urgent, 80 concern
#: and 150 none posts (40% of them hard negatives): fewer posts, more urgent and none ones.
EXTRA = {
    "en": [("a grandmother in her 60s from Cardiff, Wales: Welsh English (cwtch, tidy, now in a minute, lush), warm, rambling", "test", {"total": 50, "urgent": 12, "concern": 4, "none": 34, "hard": 18})],
    "es": [
        ("un camionero de 50 años de Monterrey, México: norteño (plebe, morro, qué onda, órale), frases cortas, sin acentos", "test", {"total": 75, "urgent": 22, "concern": 14, "none": 39, "hard": 18}),
        ("una diseñadora de 28 años de Barcelona: castellano con catalanismos (fer un cafè, plegar, ostras, nen), irónica, emojis como palabras", "test", {"total": 75, "urgent": 22, "concern": 14, "none": 39, "hard": 18}),
    ],
    "fr": [
        ("une lycéenne de 16 ans de Toulouse : langage ado (trop, grave, le seum, en vrai, askip), fautes, pas de majuscules", "test", {"total": 75, "urgent": 22, "concern": 14, "none": 39, "hard": 18}),
        ("un chauffeur de 38 ans de Dakar, Sénégal : français sénégalais (dêh, toubab, wolof glissé, on est ensemble), pudique", "test", {"total": 75, "urgent": 22, "concern": 14, "none": 39, "hard": 18}),
    ],
    "de": [
        ("ein 28-jähriger aus München: bairisch angehaucht (servus, mei, a bissl, Semmel, fei, passt scho), locker", "test", {"total": 75, "urgent": 22, "concern": 14, "none": 39, "hard": 18}),
        ("eine 45-jährige Bankangestellte aus Frankfurt am Main: hessisch angehaucht (ei gude, babbeln, gell), förmlich, lange Sätze", "test", {"total": 75, "urgent": 22, "concern": 14, "none": 39, "hard": 18}),
    ],
}

#: More training writers, so the corpus grows towards 3,000 English and 1,000 posts a language.
TRAIN_MORE = {
    "en": [
        "a trans woman in her 20s from Seattle, USA: queer slang, lowercase, sarcastic, references to online culture",
        "a retired miner in his 70s from Newcastle, England: Geordie (howay, canny, pet, wor lass), short sentences",
        "a young mother of 24 from Kingston, Jamaica, living in Birmingham: Jamaican patois mixed with British English",
        "a paramedic in his 40s from Cape Town, South Africa: South African English (lekker, howzit, eish, just now), blunt",
        "a college student of 19 from Atlanta, USA: AAVE and Gen Z slang (deadass, finna, bet, it's giving), voice-to-text errors",
        "a carer in her 50s from Belfast, Northern Ireland: Ulster turns (wee, yous, wile, catch yourself on), devout, long paragraphs",
        "a self-employed builder in his 30s from Essex, England: Estuary English (innit, geezer, knackered, bruv), swears, no paragraphs",
        "a widow in her 80s from rural New Zealand: Kiwi English (chur, jandals, she'll be right, sweet as), old-fashioned, careful typing",
    ],
    "es": ["una cuidadora de 55 años de Caracas, Venezuela: venezolanismos (chamo, vaina, arrecho, burda), cariñosa, mensajes largos"],
    "fr": ["un ouvrier de 45 ans de Strasbourg, Alsace : alsacianismes (hopla, schluck, bredele), phrases courtes, un peu bourru"],
    "de": ["ein 33-jähriger aus Graz, Steiermark: steirisch (Bua, Schwammerl, leiwand, heast), trocken, Tippfehler"],
}

#: Writers of replies in threads (most posts on a forum are replies): short support, thanks,
#: welcomes and wishes, advice to someone at risk, quoting, and now and then a replier's own risk.
#: The posts above are nearly all first posts, so without these the model never saw "Thinking
#: of you tonight" as the ordinary reply it is.
REPLY_COUNTS = {"total": 100, "urgent": 15, "concern": 17, "none": 68, "hard": 30}
REPLIES = {
    "en": [
        ("a longtime member in her 60s from Yorkshire, England: warm, motherly (love, pet, bless you, ta), replies to everyone", "train"),
        ("a man in his 30s from Philadelphia, USA, in recovery: 12-step language (one day at a time, my sponsor, meetings, keep coming back), straight talk", "train"),
        ("a widower in his 70s from Brisbane, Australia: brief, kind, old-fashioned, signs off with his first name", "train"),
        ("a carer in her 40s from Chicago, USA, typing on a phone: quick replies, autocorrect slips, emoji names written as words", "train"),
        ("a cancer survivor in her 50s from Edinburgh, Scotland: practical tips, hospital vocabulary, gentle humour", "train"),
        ("a 22-year-old from Cork, Ireland, living with depression: Irish slang (grand, deadly, gas, yer man), lowercase, self-deprecating", "validation-a"),
    ],
    "es": [("una abuela de 68 años de Valencia, España: cariñosa (cariño, mi niña, ánimo, un abrazo fuerte), respuestas de apoyo", "train")],
    "fr": [("un bénévole de 50 ans de Bordeaux : chaleureux, tutoiement, conseils pratiques, quelques fautes de frappe", "train")],
    "de": [("eine 42-jährige aus Dresden: herzlich, kurze Antworten, Umgangssprache (drück dich, halt durch, hab dich lieb), Emojis als Wörter", "train")],
}

#: A second round for the three smaller languages (600 training posts each against English's
#: 2,372): one more writer of first posts and one more of replies each, training only.
ROUND_TWO = {
    "es": [
        ("un albañil de 40 años de Guadalajara, México: tapatío (¿qué pedo?, chamba, carnal, simón), frases cortas, groserías suaves", "first"),
        ("una estudiante de enfermería de 23 años de Montevideo, Uruguay: voseo uruguayo (ta, bo, gurí, botija), responde con cariño", "replies"),
    ],
    "fr": [
        ("une caissière de 30 ans de Nantes : familier (trop, grave, ça me saoule), écrit vite au téléphone, abréviations (stp, bcp, jsuis)", "first"),
        ("un retraité de 66 ans de Québec (ville) : québécois poli (pis, toé, c'est correct, lâche pas), répond à tout le monde", "replies"),
    ],
    "de": [
        ("eine 26-jährige Studentin aus Köln, die viel englisch mischt (literally, vibe, random, lost), Kleinschreibung, viele Abkürzungen (hdl, lg, ka)", "first"),
        ("ein 61-jähriger aus Kiel: norddeutsch knapp (moin, nö, büschen, schnacken), antwortet freundlich und praktisch", "replies"),
    ],
}

#: What every brief ends with: labelling, originality and how to write and check the file.
_COMMON_TAIL = """- Concern versus urgent: follow the guide's rules exactly, including past versus now, third person
  and mixed posts. Label each post honestly by the guide, as a careful moderator would.
- **Do not reuse the guide's example sentences** or close paraphrases of them; invent your own.
  Every post must be different in situation and wording; no templates, no repeated openings.
- Write every post yourself. **Do not write a script or program that generates posts.**

## How to write the file

Append batches of about 20-25 posts, one JSON object per line (format in the guide), with

    cat >> /work/corpus/out/{writer}.jsonl <<'EOF'
    {{"id": "{writer}-0001", "lang": "{lang}", "group": "grief", "label": "none", "hard_negative": false, "text": "..."}}
    EOF

(escape double quotes inside text as `\\"` and line breaks as `\\n`). After each batch run

    python3 /work/corpus/check.py /work/corpus/out/{writer}.jsonl

and fix any error it reports (rewrite the file if you must; never lose posts already written).
Keep going until check.py reports {total} posts with the counts above and OK. Then reply with one
line: the counts check.py printed.
"""

REPLY_BRIEF = """# Your brief: {writer}

You are writing fictional posts for a dataset that trains and tests a safety feature of an online
peer-support forum (groups for grief, cancer, addiction, mental health, abuse and carers). A
volunteer moderator must be alerted when a post shows that its author may be at risk. Your posts
will teach and test that alert, so they must read like real members' posts, not like examples.

**Read only this brief and `/work/corpus/briefs/labels.md` (the labelling guide).** Do not open,
list or search any other file or folder. Write only to `/work/corpus/out/{writer}.jsonl`.

## What to write

Every post is a **reply in a thread**: a member answering someone else's post (which you do not
write; the reply may make clear what it answers). Most posts on a forum are replies like these.

- Language: **{lang_name}** (`"lang": "{lang}"`), every post.
- Your voice: {voice}. Keep this voice in every post (vary mood, topic and length, not the person's
  way of writing). Members differ: some replies are by this person, some by people like them (same
  region and register, other ages and lives).
- Exactly **{total} posts**, ids `{writer}-0001` to `{writer}-{total:04d}`, in any label order
  (mix them; do not write all of one label in a row):
  - **{urgent} urgent**, **{concern} concern**, **{none} none**, of which **{hard} are hard
    negatives** (`"hard_negative": true`; the other none posts `false`).
  - The label is about **the person writing the reply**, by the guide's rules.
- Groups: spread over all six (`grief`, `cancer`, `addiction`, `mental-health`, `abuse`, `carers`).
- Lengths: about half very short (a few words to two lines, under 25 words), a third medium
  (25-80 words), the rest longer (80-200 words).
- None posts that are not hard negatives: what people reply all day: sympathy, thanks, "me too",
  welcomes, good nights, birthdays and anniversaries, hugs, prayers, practical answers, news,
  small jokes, agreeing, asking how someone got on.
- Hard negatives: replies that a keyword search would flag but that show no risk for their writer:
  telling someone else who sounds at risk to get help, quoting a line of the other post (a line
  starting with `>`), sharing a crisis line, talking about a past crisis as over, dark humour,
  medical or grief talk, idioms, lyrics, forum business. Vary them across every kind in the guide.
- Urgent and concern replies: the replier discloses their own risk while answering someone (a
  "me too" that goes further, a thank-you that sounds like goodbye, a reply that mentions plans or
  means). Write these signals **mostly indirectly**, as frightened, numb, ashamed or calm people
  really say them; only a few should name suicide, overdose or self-harm plainly. Some replies
  (about one in ten) have typos, text-speak, or words disguised the way people dodge filters.
""" + _COMMON_TAIL

SPLITS = {
    "en": ["train"] * 6 + ["validation-a", "validation-b", "test", "test", "test"],
    "es": ["train"] * 4 + ["validation-a", "validation-b", "test", "test"],
    "fr": ["train"] * 4 + ["validation-a", "validation-b", "test", "test"],
    "de": ["train"] * 4 + ["validation-a", "validation-b", "test", "test"],
}

BRIEF = """# Your brief: {writer}

You are writing fictional posts for a dataset that trains and tests a safety feature of an online
peer-support forum (groups for grief, cancer, addiction, mental health, abuse and carers). A
volunteer moderator must be alerted when a post shows that its author may be at risk. Your posts
will teach and test that alert, so they must read like real members' posts, not like examples.

**Read only this brief and `/work/corpus/briefs/labels.md` (the labelling guide).** Do not open,
list or search any other file or folder. Write only to `/work/corpus/out/{writer}.jsonl`.

## What to write

- Language: **{lang_name}** (`"lang": "{lang}"`), every post.
- Your voice: {voice}. Keep this voice in every post (vary mood, topic and length, not the person's
  way of writing). Members differ: some posts are by this person, some by people like them (same
  region and register, other ages and lives).
- Exactly **{total} posts**, ids `{writer}-0001` to `{writer}-{total:04d}`, in any label order
  (mix them; do not write all of one label in a row):
  - **{urgent} urgent**, **{concern} concern**, **{none} none**, of which **{hard} are hard
    negatives** (`"hard_negative": true`; the other none posts `false`).
- Groups: spread over all six (`grief`, `cancer`, `addiction`, `mental-health`, `abuse`, `carers`).
- Lengths: about a third short (one or two lines, under 40 words), a third medium (40-120 words),
  a third long (120-300 words, with the risk, if any, somewhere in the middle, not only at the end).
- Risk signals: write them **mostly indirectly**, as frightened, numb, ashamed or calm people really
  say them: euphemisms, understatement, practical details, hints, goodbyes that do not say goodbye,
  regional idiom and slang. Only a few posts should name suicide, overdose or self-harm plainly.
  Some posts (about one in ten) have typos, missing punctuation, text-speak, or words disguised the
  way people dodge filters (letters swapped for digits or symbols, spaced out, made-up euphemisms).
- Hard negatives: vary them across every kind in the guide (idioms and jokes, medical talk, grief
  without wanting to die, history told as over, quoting news, films, lyrics, research, advice to
  others, forum business and titles, everyday posts) and make them look alarming to a keyword search.
- Non-hard none posts: ordinary support-forum life (questions, updates, thanks, good and bad days).
""" + _COMMON_TAIL

writers = {}


def add(writer, lang, split, voice, counts, brief=BRIEF):
    writers[writer] = {"lang": lang, "split": split, "voice": voice, **counts}
    (HERE / "briefs" / f"{writer}.md").write_text(
        brief.format(writer=writer, lang=lang, lang_name=LANG_NAME[lang], voice=voice, **counts)
    )


for lang, voices in VOICES.items():
    for number, (voice, split) in enumerate(zip(voices, SPLITS[lang], strict=True), 1):
        writer = f"{lang}-w{number:02d}"
        add(writer, lang, split, voice, COUNTS)
    for number, (voice, split, counts) in enumerate(EXTRA[lang], len(voices) + 1):
        add(f"{lang}-w{number:02d}", lang, split, voice, counts)
for lang, voices in TRAIN_MORE.items():
    first = len(VOICES[lang]) + len(EXTRA[lang]) + 1
    for number, voice in enumerate(voices, first):
        add(f"{lang}-w{number:02d}", lang, "train", voice, COUNTS)
for lang, voices in REPLIES.items():
    first = len(VOICES[lang]) + len(EXTRA[lang]) + len(TRAIN_MORE[lang]) + 1
    for number, (voice, split) in enumerate(voices, first):
        add(f"{lang}-w{number:02d}", lang, split, voice, REPLY_COUNTS, REPLY_BRIEF)
for lang, voices in ROUND_TWO.items():
    first = len(VOICES[lang]) + len(EXTRA[lang]) + len(TRAIN_MORE[lang]) + len(REPLIES[lang]) + 1
    for number, (voice, kind) in enumerate(voices, first):
        counts, brief = (COUNTS, BRIEF) if kind == "first" else (REPLY_COUNTS, REPLY_BRIEF)
        add(f"{lang}-w{number:02d}", lang, "train", voice, counts, brief)
(HERE / "briefs" / "writers.json").write_text(json.dumps(writers, indent=1, ensure_ascii=False) + "\n")
print(len(writers), "writers")
