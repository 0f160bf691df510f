-- wrk script of bench_taxii.py (taxii_load.py): GET one object by id per request, the id picked at
-- random from a file. Arguments after "--": the file of ids (one a line) and the collection's
-- objects path ending in "/". The auth headers come from wrk's -H options.
-- Answers other than 200 are counted; done() prints their number and the first one, which
-- taxii_load.py reads from wrk's output.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end

function init(args)
  ids = {}
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  objects_path = args[2]
  bad, first_bad = 0, ""
  math.randomseed(os.time() * 1000 + seed)
end

function request()
  return wrk.format("GET", objects_path .. ids[math.random(#ids)] .. "/")
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if first_bad == "" then
      first_bad = "HTTP " .. status .. " " .. string.sub(body or "", 1, 80):gsub("%s+", " ")
    end
  end
end

function done(summary, latency, requests)
  local total, example = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    if example == "" then
      example = thread:get("first_bad")
    end
  end
  io.write(string.format("bad statuses: %d\n", total))
  if example ~= "" then
    io.write("first bad status: " .. example .. "\n")
  end
end
