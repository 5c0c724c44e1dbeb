# Cost of resolving bad or unknown model ids, and whether any of it holds a normal scheduler.
#   MIX_ENV=test mix run --no-start bench/catalog_ids.exs
alias Aybiza.Bedrock.Catalog

inputs = [
  {"40 B typo", "anthropic.claude-haiku-4-5-20251001-v2:0"},
  {"1 KB typo", "anthropic.claude-" <> String.duplicate("x", 1000)},
  {"1 MB id", "anthropic.claude-" <> String.duplicate("x", 1_000_000)},
  {"50 MB id", "anthropic.claude-" <> String.duplicate("x", 50_000_000)}
]

drain = fn drain, acc ->
  receive do
    {:monitor, _, :long_schedule, info} -> drain.(drain, [info | acc])
  after
    50 -> acc
  end
end

for {_, id} <- inputs, do: Catalog.get(id)
:erlang.system_monitor(self(), [{:long_schedule, 1}])

for {label, id} <- inputs do
  runs = for _ <- 1..20, do: elem(:timer.tc(fn -> Catalog.get(id) end), 0)
  {:error, e} = Catalog.get(id)
  events = length(drain.(drain, []))

  IO.puts(
    "#{label}: median #{Enum.at(Enum.sort(runs), 10)} us, #{e.reason}, " <>
      "#{events} long_schedule events"
  )
end
