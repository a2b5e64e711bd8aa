-- Draft autosave: each wrk thread has one connection, one member and that member's own draft,
-- and saves it over and over with the version the last save returned (a stale one gets 409).
-- The data file has one line per thread: "session_token csrf_token draft_id".
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("index", counter)
end

init = function(args)
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
