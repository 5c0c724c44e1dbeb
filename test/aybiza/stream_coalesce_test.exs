defmodule Aybiza.StreamCoalesceTest do
  # `:coalesce_us` and the joining of text deltas, end to end (Elixir -> NIF -> engine ->
  # emulator) over ConverseStream and the Messages API (SSE): the same joined text, the same
  # sentences after the text they were cut from, tool calls and one terminal, with fewer
  # `{:text, _}` messages. The engine's own tests (native/aybiza_engine/tests/coalesce.rs and
  # state.rs) cover reads with several deltas and cancels with held text.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"
  @opus "us.anthropic.claude-opus-4-7"
  @reply String.duplicate("Your order left at 10:30 a.m. today. Dr. Lee signed! ", 12) <>
           "Anything else?"

  setup do
    emulator =
      start_supervised!(
        {Emulator,
         rules: [
           %{
             prompt_contains: "spaced",
             reply: @reply,
             tool_uses: [%{name: "track", input: %{"order" => "A-1"}}],
             pacing: %{tps: 1000, delta_chars: 4}
           }
         ]}
      )

    creds = Emulator.credentials(emulator)

    opts = [
      endpoint: Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]

    %{opts: opts}
  end

  defp request(model) do
    %{
      model_id: model,
      messages: [%{role: :user, content: "spaced"}],
      inference_config: %{max_tokens: 1024},
      tool_config: %{
        tools: [%{tool_spec: %{name: "track", input_schema: %{json: %{type: "object"}}}}]
      }
    }
  end

  defp collect(ref, acc \\ []) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, {:error, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, e} -> collect(ref, [e | acc])
    after
      10_000 -> flunk("no terminal message")
    end
  end

  # Consecutive texts joined, timings and ids dropped: what coalescing must keep.
  defp normal(events) do
    events
    |> Enum.chunk_by(&match?({:text, _}, &1))
    |> Enum.flat_map(fn
      [{:text, _} | _] = texts -> [{:text, Enum.map_join(texts, fn {:text, t} -> t end)}]
      other -> Enum.map(other, &strip/1)
    end)
  end

  defp strip({:first_token, _}), do: :first_token
  defp strip({:tool_use, tool}), do: {:tool_use, Map.delete(tool, :id)}
  defp strip({:done, s}), do: {:done, s.text, s.sentences, s.stop_reason}
  defp strip(e), do: e

  defp texts(events), do: Enum.count(events, &match?({:text, _}, &1))

  test "a window joins text and keeps the message sequence, Converse and SSE", %{opts: opts} do
    for {api, model} <- [converse: @model, messages: @opus] do
      {:ok, ref} = Bedrock.stream(request(model), [api: api, sentences: true] ++ opts)
      plain = collect(ref)

      {:ok, ref} =
        Bedrock.stream(request(model), [api: api, sentences: true, coalesce_us: 20_000] ++ opts)

      joined = collect(ref)

      assert {:done, %{text: @reply}} = List.last(joined)
      assert normal(joined) == normal(plain), "#{api}"
      assert Enum.count(joined, &match?({:sentence, _, _}, &1)) >= 24
      assert Enum.count(joined, &match?({:done, _}, &1)) == 1
      # Deltas 1 ms apart under a 20 ms window: texts hold several deltas each.
      assert texts(joined) * 2 < div(byte_size(@reply), 4), "#{api}: #{texts(joined)} texts"
    end
  end

  test ":coalesce_us is checked", %{opts: opts} do
    for bad <- [-1, 50_001, 1.5, :soon] do
      assert_raise ArgumentError, ~r/:coalesce_us/, fn ->
        Bedrock.stream(request(@model), [coalesce_us: bad] ++ opts)
      end
    end

    assert {:ok, ref} = Bedrock.stream(request(@model), [coalesce_us: 50_000] ++ opts)
    assert {:done, _} = List.last(collect(ref))
  end
end
