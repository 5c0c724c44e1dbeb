defmodule Aybiza.Bedrock.FakeBackend do
  @moduledoc """
  A scripted `Aybiza.Bedrock.Backend` for tests: it sends the exact message protocol of
  `Aybiza.Bedrock.stream/2` (`{:aybiza_bedrock, ref, event}`, ending with one `{:done, _}` or
  `{:error, _}`) without any network.

  Use it as `backend: {Aybiza.Bedrock.FakeBackend, script: script}` where `script` comes
  from `script/2` (one item per call, in order; the `:then` item once they are used up), or
  `backend: {Aybiza.Bedrock.FakeBackend, item: item}` to give every call the same item.

  Items:

    * `{:answer, sentences}` - a successful answer of those sentences.
    * `{:fail_after, sentences, reason}` - those sentences, then a mid-stream error.
    * `{:error, reason}` - an error before the stream (sent as the terminal message).
    * `{:reject, reason}` - `stream/2` itself returns `{:error, error}`.
    * `{:error_struct, %Aybiza.Error{}}` - that error as the terminal message.
    * `{:events, events}` - raw events (you provide the terminal one).
    * `:stall` - nothing is ever sent (until cancelled).
    * `{:delay, ms, item}` - `item` after `ms` milliseconds.
    * `{:gate, pid, item}` - sends `{:fake_gate, sender}` to `pid` and plays `item` once
      `sender` receives `:open` (a test controls exactly when the call proceeds).
  """
  @behaviour Aybiza.Bedrock.Backend

  alias Aybiza.Error

  @doc "Starts a script: `items` are used by successive calls, then `then:` (default an answer)."
  @spec script([term()], keyword()) :: pid()
  def script(items, opts \\ []) do
    opts = Keyword.validate!(opts, then: {:answer, ["Hello there."]})
    {:ok, pid} = Agent.start_link(fn -> %{items: items, then: opts[:then], calls: []} end)
    pid
  end

  @doc "The calls made so far: `[%{request: map, opts: keyword}]`, oldest first."
  @spec calls(pid()) :: [map()]
  def calls(script), do: Agent.get(script, &Enum.reverse(&1.calls))

  @impl true
  def stream(request, opts) do
    to = Keyword.get(opts, :to, self())

    item =
      case {opts[:script], opts[:item]} do
        {nil, nil} -> {:answer, ["Hello there."]}
        {nil, item} -> item
        {script, _} -> next_item(script, request, opts)
      end

    case item do
      {:reject, reason} ->
        {:error, error(reason, :before_stream, request, opts)}

      item ->
        ref = make_ref()
        parent = self()
        ack = make_ref()

        spawn(fn ->
          # Like the engine's streams, a fake stream outlives a registry restart.
          Process.flag(:trap_exit, true)
          Registry.register(Aybiza.Bedrock.StreamRegistry, {:fake, ref}, nil)
          send(parent, ack)
          Process.monitor(to)
          play(item, ref, to, request, opts)
        end)

        receive do
          ^ack -> {:ok, ref}
        end
    end
  end

  @impl true
  def converse(request, opts) do
    {:ok, ref} = stream(request, Keyword.put(opts, :to, self()))

    receive_terminal(ref)
  end

  @impl true
  def cancel(ref) do
    case Registry.lookup(Aybiza.Bedrock.StreamRegistry, {:fake, ref}) do
      [{pid, _}] ->
        monitor = Process.monitor(pid)
        Process.exit(pid, :kill)

        receive do
          {:DOWN, ^monitor, _, _, _} -> :ok
        end

      [] ->
        :ok
    end
  end

  @doc "The events of a successful answer (used by `{:answer, sentences}`)."
  @spec answer_events([String.t()], map(), keyword()) :: [term()]
  def answer_events(sentences, request, opts) do
    text = Enum.join(sentences, " ")

    sentence_events(sentences) ++
      [
        {:stop_reason, :end_turn},
        {:usage, usage(sentences)},
        {:done,
         %{
           model_id: request[:model_id],
           region: opts[:region],
           request_id: "fake-" <> Integer.to_string(System.unique_integer([:positive])),
           stop_reason: :end_turn,
           usage: usage(sentences),
           text: text,
           content: [%{"text" => text}],
           sentences: length(sentences),
           cost: %{nanodollars: 1_000 * length(sentences), estimated?: false},
           timings: %{
             first_byte_us: 500,
             first_token_us: 1_000,
             first_sentence_us: 2_000,
             total_us: 5_000
           }
         }}
      ]
  end

  defp next_item(script, request, opts) do
    Agent.get_and_update(script, fn state ->
      call = %{request: request, opts: Keyword.drop(opts, [:script])}

      case state.items do
        [item | rest] -> {item, %{state | items: rest, calls: [call | state.calls]}}
        [] -> {state.then, %{state | calls: [call | state.calls]}}
      end
    end)
  end

  defp play({:delay, ms, item}, ref, to, request, opts) do
    Process.sleep(ms)
    play(item, ref, to, request, opts)
  end

  defp play({:gate, pid, item}, ref, to, request, opts) do
    send(pid, {:fake_gate, self()})

    receive do
      :open -> play(item, ref, to, request, opts)
    end
  end

  defp play(:stall, _ref, _to, _request, _opts) do
    receive do
      {:DOWN, _, _, _, _} -> :ok
    end
  end

  defp play(item, ref, to, request, opts) do
    Enum.each(events(item, request, opts), &send(to, {:aybiza_bedrock, ref, &1}))
  end

  defp events({:answer, sentences}, request, opts),
    do: [:message_start, {:first_token, 1_000}] ++ answer_events(sentences, request, opts)

  defp events({:fail_after, sentences, reason}, request, opts) do
    text = Enum.join(sentences, " ")
    error = error(reason, :mid_stream, request, opts)

    error = %{
      error
      | delivered: %{chars: String.length(text), sentences: length(sentences), text: text}
    }

    [:message_start, {:first_token, 1_000}] ++ sentence_events(sentences) ++ [{:error, error}]
  end

  defp events({:error, reason}, request, opts),
    do: [{:error, error(reason, :before_stream, request, opts)}]

  defp events({:error_struct, %Error{} = error}, _request, _opts), do: [{:error, error}]
  defp events({:events, events}, _request, _opts), do: events

  defp sentence_events(sentences) do
    sentences
    |> Enum.with_index()
    |> Enum.flat_map(fn {sentence, seq} ->
      [{:text, sentence <> " "}, {:sentence, seq, sentence}]
    end)
  end

  defp usage(sentences) do
    out = sentences |> Enum.map(&length(String.split(&1))) |> Enum.sum()

    %{
      input_tokens: 20,
      output_tokens: out,
      total_tokens: 20 + out,
      cache_read_input_tokens: 0,
      cache_write_input_tokens: 0
    }
  end

  defp error(reason, phase, request, opts) do
    Error.new(reason, "fake #{reason}",
      phase: phase,
      model_id: request[:model_id],
      region: opts[:region]
    )
  end

  defp receive_terminal(ref) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, summary}} -> {:ok, summary}
      {:aybiza_bedrock, ^ref, {:error, error}} -> {:error, error}
      {:aybiza_bedrock, ^ref, _} -> receive_terminal(ref)
    end
  end
end
