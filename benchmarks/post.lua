-- wrk script: POST the bodies of a file (one JSON request a line) in turn, each thread from its own
-- offset, and count responses whose GraphQL errors list is not empty.
--   wrk -s post.lua URL -- BODIES_FILE API_KEY THREADS
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do
    table.insert(bodies, line)
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] and args[2] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
  -- Threads start far apart, so that bodies meant to be sent once (a ticket move) are.
  local threads = assert(tonumber(args[3]), "pass the number of threads after the key")
  position = (id * math.floor(#bodies / threads)) % #bodies
  errors = 0
end

function request()
  position = position % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[position])
end

function response(status, headers, body)
  if string.find(body, '"errors":%[{') or string.find(body, '"errors": %[{') then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("errors")
  end
  io.write(string.format("graphql_errors %d\n", total))
end
