defmodule Aybiza.ProbeSonicToolsTest do
  # A Sonic session's tools are untrusted: whatever a tool returns or does (an improper list,
  # a map 100,000 levels deep, a pid, invalid UTF-8, a result larger than Bedrock takes, a
  # kill of its own process), the model still gets an answer to its tool use (so the turn
  # goes on and the caller hears the reply), the session's runner survives, and the session
  # ends with exactly one terminal and one telemetry stop.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{Emulator, Sonic, Tool}

  @moduletag timeout: 180_000

  setup do
    on_exit(fn ->
      Enum.find_value(1..250, fn _ ->
        if Sonic.live_sessions() == 0, do: true, else: Process.sleep(20) && nil
      end)
    end)
  end

  defp deep_map(n), do: Enum.reduce(1..n, "x", fn _, acc -> %{"a" => acc} end)

  defp hostile_results do
    [
      {"an improper list", fn _ -> {:ok, [1, 2 | 3]} end},
      {"a list holding an improper list", fn _ -> {:ok, [[1 | 2]]} end},
      {"a map 100,000 levels deep", fn _ -> {:ok, deep_map(100_000)} end},
      {"a map holding a pid", fn _ -> {:ok, %{"who" => self()}} end},
      {"a map with a tuple key", fn _ -> {:ok, %{{:a, 1} => 1}} end},
      {"a huge integer", fn _ -> {:ok, %{"n" => 2 ** 200}} end},
      {"invalid UTF-8", fn _ -> {:ok, <<0xFF, 0xFE>>} end},
      {"1 MB of text", fn _ -> {:ok, :binary.copy("a", 1_000_000)} end},
      {"an error that is a term", fn _ -> {:error, {:weird, make_ref()}} end},
      {"an error that is invalid UTF-8", fn _ -> {:error, <<0xFF>>} end},
      {"a kill of its own process", fn _ -> Process.exit(self(), :kill) end},
      {"a linked process that dies",
       fn _ ->
         spawn_link(fn -> exit(:boom) end)
         Process.sleep(5_000)
       end}
    ]
  end

  test "whatever a tool returns, the model is answered and the session ends once" do
    emulator =
      start_supervised!(
        {Emulator,
         [
           tls: true,
           sonic: [speed: 20, turn_silence_ms: 300],
           rules: [
             %{
               prompt_contains: "",
               tool_uses: [%{name: "lookup", input: %{}}],
               reply_after_tool: "Here is what I found."
             }
           ]
         ]}
      )

    creds = Emulator.credentials(emulator)

    client = [
      region: "us-east-1",
      endpoint: Emulator.tls_url(emulator),
      tls_ca: Emulator.ca_pem(emulator),
      credentials: {:static, creds.access_key_id, creds.secret_access_key},
      response_timeout: 5_000
    ]

    parent = self()
    handler = "probe-sonic-tools-#{System.unique_integer([:positive])}"

    Aybiza.Bedrock.Telemetry.attach_many(
      handler,
      [[:aybiza_bedrock, :sonic, :stop], [:aybiza_bedrock, :sonic, :exception]],
      fn event, _m, meta, _ -> send(parent, {:span_end, meta.session, event}) end,
      nil
    )

    try do
      failures =
        for {what, execute} <- hostile_results(),
            reply = run_case(client, execute),
            reply != :ok do
          "#{what}: #{reply}"
        end

      assert failures == []
    after
      Aybiza.Bedrock.Telemetry.detach(handler)
    end
  end

  defp run_case(client, execute) do
    tool =
      Tool.new!(
        name: "lookup",
        description: "Look up",
        input_schema: %{"type" => "object"},
        timeout: 2_000,
        execute: execute
      )

    {:ok, s} = Sonic.start_session(Keyword.put(client, :tools, [tool]))
    :ok = Sonic.send_text(s, "look it up")

    answered? = answered?(s)
    Sonic.close(s)
    terminals = terminals(s)

    span_ends =
      receive do
        {:span_end, ^s, _} = e ->
          receive do
            {:span_end, ^s, _} -> [e, :again]
          after
            200 -> [e]
          end
      after
        5_000 -> []
      end

    cond do
      not answered? -> "the model never got an answer (no reply after the tool)"
      length(terminals) != 1 -> "#{length(terminals)} terminals"
      length(span_ends) != 1 -> "#{length(span_ends)} telemetry span ends"
      true -> :ok
    end
  end

  defp answered?(s, text \\ "Here is what I found.", timeout \\ 8_000) do
    receive do
      {:aybiza_bedrock, ^s, {:transcript, :assistant, :final, ^text}} -> true
      {:aybiza_bedrock, ^s, {:done, _}} -> false
      {:aybiza_bedrock, ^s, {:error, _}} -> false
    after
      timeout -> false
    end
  end

  defp terminals(s, acc \\ []) do
    receive do
      {:aybiza_bedrock, ^s, {t, _} = e} when t in [:done, :error] -> terminals(s, [e | acc])
      {:aybiza_bedrock, ^s, _} -> terminals(s, acc)
    after
      if(acc == [], do: 5_000, else: 300) -> acc
    end
  end

  test "a model asking for many tools at once never runs more than 8 side by side" do
    emulator =
      start_supervised!(
        {Emulator,
         [
           tls: true,
           sonic: [speed: 20, turn_silence_ms: 300],
           rules: [
             %{
               prompt_contains: "",
               tool_uses: for(i <- 1..12, do: %{name: "slow", input: %{"i" => i}}),
               reply_after_tool: "All done."
             }
           ]
         ]},
        id: :probe_many_tools
      )

    creds = Emulator.credentials(emulator)
    counter = :counters.new(2, [:atomics])

    tool =
      Tool.new!(
        name: "slow",
        description: "Slow",
        input_schema: %{"type" => "object"},
        timeout: 5_000,
        execute: fn _ ->
          :counters.add(counter, 1, 1)
          now = :counters.get(counter, 1)
          if now > :counters.get(counter, 2), do: :counters.put(counter, 2, now)
          Process.sleep(200)
          :counters.sub(counter, 1, 1)
          {:ok, "done"}
        end
      )

    {:ok, s} =
      Sonic.start_session(
        region: "us-east-1",
        endpoint: Emulator.tls_url(emulator),
        tls_ca: Emulator.ca_pem(emulator),
        credentials: {:static, creds.access_key_id, creds.secret_access_key},
        response_timeout: 10_000,
        tools: [tool]
      )

    :ok = Sonic.send_text(s, "do everything")
    assert answered?(s, "All done.", 20_000), inspect(terminals(s), limit: 8)
    assert :counters.get(counter, 2) in 2..8
    Sonic.close(s)
    assert [{:done, _}] = terminals(s)
  end

  test "a model asking for 20 tools in one turn gets every result and speaks" do
    emulator =
      start_supervised!(
        {Emulator,
         [
           tls: true,
           sonic: [speed: 20, turn_silence_ms: 300],
           rules: [
             %{
               prompt_contains: "",
               tool_uses: for(i <- 1..20, do: %{name: "quick", input: %{"i" => i}}),
               reply_after_tool: "All twenty done."
             }
           ]
         ]},
        id: :probe_twenty_tools
      )

    creds = Emulator.credentials(emulator)
    counter = :counters.new(1, [:atomics])

    tool =
      Tool.new!(
        name: "quick",
        description: "Quick",
        input_schema: %{"type" => "object"},
        execute: fn %{"i" => i} ->
          :counters.add(counter, 1, 1)
          Process.sleep(20)
          {:ok, %{"i" => i}}
        end
      )

    {:ok, s} =
      Sonic.start_session(
        region: "us-east-1",
        endpoint: Emulator.tls_url(emulator),
        tls_ca: Emulator.ca_pem(emulator),
        credentials: {:static, creds.access_key_id, creds.secret_access_key},
        response_timeout: 10_000,
        tools: [tool]
      )

    :ok = Sonic.send_text(s, "do all twenty")
    assert answered?(s, "All twenty done.", 20_000), inspect(terminals(s), limit: 8)
    assert :counters.get(counter, 1) == 20
    Sonic.close(s)
    assert [{:done, summary}] = terminals(s)
    assert summary.tool_uses == 20
  end

  test "a tool use whose input does not match the tool's schema never runs the tool" do
    emulator =
      start_supervised!(
        {Emulator,
         [
           tls: true,
           sonic: [speed: 20, turn_silence_ms: 300],
           rules: [
             %{
               prompt_contains: "",
               tool_uses: [%{name: "lookup", input: %{"city" => 5}}],
               reply_after_tool: "Sorry about that."
             }
           ]
         ]},
        id: :probe_schema
      )

    creds = Emulator.credentials(emulator)
    parent = self()

    tool =
      Tool.new!(
        name: "lookup",
        description: "Look up",
        input_schema: %{
          "type" => "object",
          "properties" => %{"city" => %{"type" => "string"}},
          "required" => ["city"]
        },
        execute: fn input ->
          send(parent, {:ran, input})
          {:ok, "found"}
        end
      )

    {:ok, s} =
      Sonic.start_session(
        region: "us-east-1",
        endpoint: Emulator.tls_url(emulator),
        tls_ca: Emulator.ca_pem(emulator),
        credentials: {:static, creds.access_key_id, creds.secret_access_key},
        tools: [tool]
      )

    :ok = Sonic.send_text(s, "look up")
    assert answered?(s, "Sorry about that.")
    refute_received {:ran, _}
    Sonic.close(s)
    assert [{:done, _}] = terminals(s)
  end
end
