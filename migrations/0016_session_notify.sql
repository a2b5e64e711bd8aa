-- Signing out ends the session's live streams too, on whichever process holds them: every
-- deleted session (signing out, "sign out everywhere else", a deleted account, expiry) is
-- announced with the first 8 bytes of its token's hash, which the stream serving it listens for.
-- The hash cannot be turned back into a token, and 8 bytes only ever name one session of many.
CREATE FUNCTION notify_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('forum_sessions_ended', encode(substr(OLD.token_hash, 1, 8), 'hex'));
    RETURN NULL;
END
$$;
CREATE TRIGGER sessions_ended AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION notify_session_ended();
