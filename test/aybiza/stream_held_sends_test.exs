defmodule Aybiza.StreamHeldSendsTest do
  # With more calls live than engine shards, a shard holds a pass's non-terminal events and
  # sends them back to back (`AYBIZA_BEDROCK_HOLD_SENDS`, docs/ARCHITECTURE.md "Held
  # sends"). Each call must still see its events in order, all of its text, its first
  # sentence, and exactly one terminal, last.
  use ExUnit.Case, async: false

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

    creds = Emulator.credentials(emulator)

    opts = [
      endpoint: Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]

    %{opts: opts}
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

    events = collect(Map.new(refs, &{&1, []}), length(refs))
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

  defp collect(events, 0), do: events

  defp collect(events, pending) do
    receive do
      {:aybiza_bedrock, ref, event} when is_map_key(events, ref) ->
        pending = if terminal?(event), do: pending - 1, else: pending
        collect(Map.update!(events, ref, &[event | &1]), pending)
    after
      30_000 -> flunk("#{pending} calls without a terminal")
    end
  end

  defp terminal?(event), do: match?({:done, _}, event) or match?({:error, _}, event)
end
