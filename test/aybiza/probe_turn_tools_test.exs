defmodule Aybiza.ProbeTurnToolsTest do
  # The voice turn's tools are untrusted: whatever a tool returns or does, the call ends
  # with exactly one terminal, the model hears a tool error it can act on, no process of
  # ours crashes, and no live stream is left behind.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{Emulator, Tool}

  @moduletag :emulator
  @moduletag timeout: 180_000

  @sonnet "anthropic.claude-sonnet-4-6"
  @answer "We open at nine tomorrow."

  defp client do
    emulator =
      start_supervised!(
        {Emulator,
         rules: [
           %{
             tool_uses: [%{name: "get_hours", input: %{"day" => "tomorrow"}}],
             reply_after_tool: @answer
           }
         ]},
        id: make_ref()
      )

    creds = Emulator.credentials(emulator)

    [
      endpoint: Emulator.url(emulator),
      credentials: %{
        access_key_id: creds.access_key_id,
        secret_access_key: creds.secret_access_key
      }
    ]
  end

  defp tool(execute) do
    Tool.new!(
      name: "get_hours",
      description: "Opening hours for a day",
      input_schema: %{"type" => "object", "properties" => %{"day" => %{"type" => "string"}}},
      execute: execute,
      timeout: 1_000
    )
  end

  defp deep(n), do: Enum.reduce(1..n, "x", fn _, acc -> %{"a" => acc} end)

  defp hostile do
    big = :binary.copy("a", 50_000_000)

    [
      {"an improper list", fn _ -> {:ok, [1, 2 | 3]} end},
      {"a list holding an improper list", fn _ -> {:ok, [[1 | 2]]} end},
      {"a map 100,000 levels deep", fn _ -> {:ok, deep(100_000)} end},
      {"a tuple key", fn _ -> {:ok, %{{:a, 1} => 1}} end},
      {"invalid UTF-8 text", fn _ -> {:ok, <<0xFF, 0xFE>>} end},
      {"50 MB of text", fn _ -> {:ok, big} end},
      {"an error that is a term", fn _ -> {:error, {:weird, make_ref()}} end},
      {"a kill of its own process", fn _ -> Process.exit(self(), :kill) end},
      {"a linked process that dies",
       fn _ ->
         spawn_link(fn -> exit(:boom) end)
         Process.sleep(5_000)
       end}
    ]
  end

  test "whatever a turn's tool returns or does, the call ends once and the model is answered" do
    failures =
      for {what, execute} <- hostile(), why = run_case(execute), why != :ok do
        "#{what}: #{why}"
      end

    assert failures == []

    assert Enum.find_value(1..100, fn _ ->
             Aybiza.Bedrock.live_streams() == 0 || (Process.sleep(20) && nil)
           end)
  end

  defp run_case(execute) do
    {:ok, ref} =
      BedrockClient.generate_response(
        "When are you open tomorrow?",
        %{tools: [tool(execute)], call_id: "probe-turn-tools"},
        client_opts: client(),
        model_id: @sonnet,
        region: "us-east-1",
        policy: [random: fn _ -> 0 end, fallback_region: nil],
        breaker: [failure_threshold: 1_000],
        fallback_line: false
      )

    events = collect_events(ref, 30_000)

    late =
      receive do
        {:aybiza_bedrock, ^ref, e} -> e
      after
        300 -> nil
      end

    results = for {:tool_result, info} <- events, do: info

    cond do
      late != nil -> "an event after the terminal: #{inspect(late, limit: 5)}"
      not match?({:done, _}, List.last(events)) -> "ended #{inspect(List.last(events), limit: 8)}"
      not match?([%{status: :error}], results) -> "tool results #{inspect(results, limit: 8)}"
      true -> :ok
    end
  end

  test "improper lists in the turn's context are this call's :invalid_request naming the field" do
    opts = [client_opts: [endpoint: "http://127.0.0.1:9", credentials: {:static, "AKIDX", "s"}]]

    for {key, value} <- [
          conversation_history: [1 | 2],
          conversation_history: [%{role: :user, content: "hi"} | :tail],
          tools: [1 | 2],
          attachments: [%{text: "x"} | :tail]
        ] do
      assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} =
               BedrockClient.generate_response("hi", %{key => value}, opts)

      assert message =~ ":#{key}"
    end
  end
end
