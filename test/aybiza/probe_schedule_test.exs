defmodule Aybiza.ProbeScheduleTest do
  # NIF entry points on a normal scheduler that take client options (warm/1) or small
  # handles, with 1 MB and 50 MB values in every client option: no long_schedule event
  # (`:erlang.system_monitor/2`, 1 ms). A case that shows one is run twice more (a shared
  # machine can preempt a scheduler thread once; a NIF that blocks does it every time).
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.LongSchedule

  @moduletag timeout: 180_000

  defp cases(text) do
    # Built here, outside the measured process.
    creds = {:static, "AKID" <> text, "secret"}
    secret = {:static, "AKIDEXAMPLE", text, text}
    api_key = {:api_key, text}
    region = [region: text, endpoint: "http://127.0.0.1:9"]
    endpoint = [endpoint: "http://127.0.0.1:9/" <> text]
    host = [endpoint: "http://" <> text <> ":9"]

    [
      {"warm region", fn -> Bedrock.warm(region) end},
      {"warm endpoint path", fn -> Bedrock.warm(endpoint) end},
      {"warm endpoint host", fn -> Bedrock.warm(host) end},
      {"warm access key id",
       fn -> Bedrock.warm(credentials: creds, endpoint: "http://127.0.0.1:9") end},
      {"warm secret and token",
       fn -> Bedrock.warm(credentials: secret, endpoint: "http://127.0.0.1:9") end},
      {"warm api key",
       fn -> Bedrock.warm(credentials: api_key, endpoint: "http://127.0.0.1:9") end}
    ]
  end

  test "warm/1 never holds a normal scheduler, whatever the size of an option" do
    mb1 = :binary.copy("a", 1_000_000)
    mb50 = :binary.copy(mb1, 50)
    for {_n, fun} <- cases("a"), do: LongSchedule.events_of(fun)

    LongSchedule.monitoring(fn ->
      blocked =
        for text <- [mb1, mb50],
            {name, _} <- cases(text),
            Enum.all?(1..3, fn _ ->
              LongSchedule.events_of(elem(List.keyfind(cases(text), name, 0), 1)) != []
            end),
            do: "#{name} with #{div(byte_size(text), 1_000_000)} MB"

      assert blocked == [], "long_schedule events from: #{Enum.join(blocked, "; ")}"
    end)
  end

  defp text_cases(text) do
    one = [text]
    many = List.duplicate("Hi. ", div(byte_size(text), 4))
    improper = List.duplicate("Hi. ", div(byte_size(text), 4)) ++ ["x" | :tail]
    segmenter = Aybiza.Bedrock.Text.new_segmenter()
    health = [model_id: text, count_tokens: false]

    # The segmenter at 50 MB takes minutes in a debug build (on a dirty scheduler): the text
    # pipeline runs at 1 MB, health/1 at both sizes.
    health_case = [{"health model_id", fn -> Bedrock.health(health) end}]

    if byte_size(text) > 1_100_000,
      do: health_case,
      else: text_pipeline(text, one, many, improper, segmenter) ++ health_case
  end

  defp text_pipeline(text, one, many, improper, segmenter) do
    [
      {"Text.push_many one big delta", fn -> Aybiza.Bedrock.Text.push_many(segmenter, one) end},
      {"Text.push_many many deltas", fn -> Aybiza.Bedrock.Text.push_many(segmenter, many) end},
      {"Text.push_many improper",
       fn -> catch_error(Aybiza.Bedrock.Text.push_many(segmenter, improper)) end},
      {"Text.push", fn -> Aybiza.Bedrock.Text.push(segmenter, text) end},
      {"Catalog.estimate_tokens", fn -> Aybiza.Bedrock.Catalog.estimate_tokens(text) end}
    ]
  end

  test "the text pipeline (1 MB) and health/1 (1 and 50 MB) never hold a normal scheduler" do
    mb1 = :binary.copy("Hello there, how are you today? ", 32_768)
    mb50 = :binary.copy(mb1, 50)
    for {_n, fun} <- text_cases("Hello there. "), do: LongSchedule.events_of(fun)

    LongSchedule.monitoring(fn ->
      blocked =
        for text <- [mb1, mb50],
            {name, _} <- text_cases(text),
            Enum.all?(1..3, fn _ ->
              LongSchedule.events_of(elem(List.keyfind(text_cases(text), name, 0), 1)) != []
            end),
            do: "#{name} with #{div(byte_size(text), 1_000_000)} MB"

      assert blocked == [], "long_schedule events from: #{Enum.join(blocked, "; ")}"
    end)
  end

  test "the emulator's rule, fault and pacing setters never hold a normal scheduler" do
    emulator = start_supervised!({Aybiza.Bedrock.Emulator, []})
    mb50 = :binary.copy("Hello there. ", 4_000_000)
    rules = [%{prompt_contains: "x", reply: mb50}]
    many = for i <- 1..100_000, do: %{prompt_contains: "p#{i}", reply: "r"}
    faults = %{"message" => mb50}
    pacing = %{"tps" => mb50}

    cases = [
      {"set_rules 50 MB", fn -> Aybiza.Bedrock.Emulator.set_rules(emulator, rules) end},
      {"set_rules 100,000 rules", fn -> Aybiza.Bedrock.Emulator.set_rules(emulator, many) end},
      {"set_faults 50 MB", fn -> Aybiza.Bedrock.Emulator.set_faults(emulator, faults) end},
      {"set_pacing 50 MB", fn -> Aybiza.Bedrock.Emulator.set_pacing(emulator, pacing) end}
    ]

    # The emulator's GenServer makes the NIF call: watch it, not the caller.
    server = emulator

    LongSchedule.monitoring(fn ->
      blocked =
        for {name, fun} <- cases,
            Enum.all?(1..3, fn _ ->
              LongSchedule.flush()
              fun.()
              LongSchedule.collect(server) != []
            end),
            do: name

      assert blocked == [], "long_schedule events from: #{Enum.join(blocked, "; ")}"
    end)
  end

  test "oversized client options are refused with a clear error naming them" do
    mb1 = :binary.copy("a", 1_000_000)

    for {opts, what} <- [
          {[region: mb1], "region"},
          {[endpoint: "http://127.0.0.1:9/" <> mb1], "endpoint"},
          {[credentials: {:static, "AKID", mb1}], "credential"}
        ] do
      assert {:error, %Aybiza.Error{message: m}} = Bedrock.warm(opts)
      assert m =~ what
      assert byte_size(m) < 1_000
    end
  end
end
