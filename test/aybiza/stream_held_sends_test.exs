defmodule Aybiza.StreamHeldSendsTest do
  # With more calls live than engine shards, a shard holds a pass's non-terminal events and
  # sends them back to back (`AYBIZA_BEDROCK_HOLD_SENDS`, docs/ARCHITECTURE.md "Held
  # sends"). Each call must still see its events in order, all of its text, its first
  # sentence, and exactly one terminal, last.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers, only: [collect_calls: 1, emulator_opts: 1, terminal?: 1]

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @model "anthropic.claude-haiku-4-5-20251001-v1:0"
  @reply String.duplicate("Sure, I can help with that. Which day suits you? ", 8)
  @calls 64

  setup do
    emulator =
      start_supervised!(
        {Emulator,
         rules: [%{prompt_contains: "", reply: @reply, pacing: %{tps: 2_000, delta_chars: 3}}]}
      )

    %{opts: emulator_opts(emulator)}
  end

  test "many concurrent calls each get every event in order and one terminal, last", %{
    opts: opts
  } do
    request = %{
      model_id: @model,
      messages: [%{role: :user, content: "hello"}],
      inference_config: %{max_tokens: 512}
    }

    refs =
      for _ <- 1..@calls do
        {:ok, ref} = Bedrock.stream(request, opts)
        ref
      end

    events = collect_calls(refs)
    # Nothing of any call arrives after its terminal.
    refute_receive {:aybiza_bedrock, _, _}, 200

    for ref <- refs do
      call = Enum.reverse(events[ref])
      assert {:done, summary} = List.last(call)
      assert Enum.count(call, &terminal?/1) == 1
      assert summary.text == @reply
      assert for({:text, t} <- call, into: "", do: t) == @reply
      sentences = for {:sentence, seq, s} <- call, do: {seq, s}
      assert Enum.map(sentences, &elem(&1, 0)) == Enum.to_list(0..(length(sentences) - 1))
      assert length(sentences) == summary.sentences
      assert Enum.map_join(sentences, " ", &elem(&1, 1)) == String.trim(@reply)
    end
  end
end
