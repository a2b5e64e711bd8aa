-- Draft autosave: each wrk thread has one connection, one member and that member's own draft,
-- and saves it over and over with the version the last save returned (a stale one gets 409).
-- The data file has one line per thread: "session_token csrf_token draft_id". An optional
-- second argument paces each writer: one save every that many milliseconds on average, as an
-- autosave would, instead of saving again the moment the last one answered.
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("index", counter)
end

init = function(args)
  pace = tonumber(args[2] or "0")
  math.randomseed(index)
  local n = 0
  for line in io.lines(args[1]) do
    n = n + 1
    if n == index then
      token, csrf, draft = line:match("(%S+) (%S+) (%S+)")
    end
  end
  version = 1
  text = string.rep("Writing+this+slowly,+one+line+at+a+time,+and+saving+as+I+go.+", 12)
  headers = {
    ["Cookie"] = "forum_session=" .. token,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
end

delay = function()
  if pace > 0 then return math.random(pace / 2, pace * 3 / 2) end
  return 0
end

request = function()
  local body = "csrf_token=" .. csrf .. "&version=" .. version .. "&title=&content_warning="
    .. "&body=" .. text .. version
  return wrk.format("POST", "/drafts/" .. draft, headers, body)
end

response = function(status, headers, body)
  if status == 303 then
    version = version + 1
  else
    local v = body:match('name="version" value="(%d+)"')
    if v then version = tonumber(v) end
  end
end
