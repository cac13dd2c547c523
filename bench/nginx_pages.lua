-- wrk script for bench/crawl.sh: requests every page of the generated site in turn (the
-- paths listed one per line in the file named by PAGES_FILE), so nginx serves the same pages
-- the crawlers fetch, in the same mix.
local paths = {}
local next_index = 1

function init(args)
    for line in io.lines(os.getenv("PAGES_FILE")) do
        paths[#paths + 1] = line
    end
    -- Each wrk thread starts at its own place in the list.
    next_index = (math.random(#paths))
end

function request()
    local path = paths[next_index]
    next_index = next_index % #paths + 1
    return wrk.format("GET", path)
end
