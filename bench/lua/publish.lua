-- Publishing: each wrk thread has one connection and one member with a stack of drafts
-- (written by bench/run.py), and publishes them one after another.
-- The data file has one line per thread: "session_token csrf_token id,id,id,...".
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
      token, csrf, list = line:match("(%S+) (%S+) (%S+)")
    end
  end
  drafts = {}
  for id in list:gmatch("%d+") do table.insert(drafts, id) end
  next_draft = 1
  headers = {
    ["Cookie"] = "forum_session=" .. token,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  body = "csrf_token=" .. csrf .. "&version=1"
end

request = function()
  local id = drafts[next_draft]
  next_draft = next_draft % #drafts + 1
  return wrk.format("POST", "/drafts/" .. id .. "/publish", headers, body)
end
