defmodule Aybiza.Test.ConversationFakeBackend do
  @moduledoc """
  A scripted `Aybiza.Bedrock.Backend` for the conversation tests: each model call takes the
  next reply of a script and plays it with the message protocol of
  `Aybiza.Bedrock.stream/2` (or returns it from `converse/2`). Every request is recorded.

      fake = ConversationFakeBackend.start!([
        %{tool_uses: [%{id: "t1", name: "lookup", input: %{"id" => "7"}}], text: "One moment."},
        %{text: "Your order ships today. Anything else?"}
      ])
      ToolLoop.stream(request, tools, backend: ConversationFakeBackend, backend_opts: [fake: fake])

  A reply is a map with `:text`, `:tool_uses`, `:thinking` + `:signature`, `:stop_reason`
  (default `:tool_use` when there are tool uses, else `:end_turn`), `:usage`; or
  `{:error, %Aybiza.Error{}}`; or a function of the request returning one of those.
  """
  @behaviour Aybiza.Bedrock.Backend

  alias Aybiza.Error

  @doc "Starts a fake with its script; returns its pid (pass as `backend_opts: [fake: pid]`)."
  def start!(script) do
    {:ok, pid} = Agent.start(fn -> %{script: script, requests: []} end)
    pid
  end

  @doc "The requests received, in order."
  def requests(fake), do: Agent.get(fake, &Enum.reverse(&1.requests))

  defp next(fake, request) do
    Agent.get_and_update(fake, fn
      %{script: [reply | rest]} = s ->
        {reply, %{s | script: rest, requests: [request | s.requests]}}

      %{script: []} = s ->
        {:exhausted, %{s | requests: [request | s.requests]}}
    end)
    |> case do
      fun when is_function(fun, 1) -> fun.(request)
      reply -> reply
    end
  end

  @impl true
  def stream(request, opts) do
    fake = Keyword.fetch!(opts, :fake)
    to = Keyword.get(opts, :to, self())
    ref = make_ref()

    case next(fake, request) do
      :exhausted ->
        {:error, Error.new(:internal, "fake backend script exhausted")}

      {:error, %Error{phase: :before_stream} = error} ->
        {:error, error}

      reply ->
        spawn(fn -> play(to, ref, reply) end)
        {:ok, ref}
    end
  end

  @impl true
  def converse(request, opts) do
    case next(Keyword.fetch!(opts, :fake), request) do
      :exhausted -> {:error, Error.new(:internal, "fake backend script exhausted")}
      {:error, error} -> {:error, error}
      reply -> {:ok, summary(reply)}
    end
  end

  @impl true
  def cancel(_ref), do: :ok

  defp play(to, ref, {:error, error}) do
    send(to, {:aybiza_bedrock, ref, :message_start})
    send(to, {:aybiza_bedrock, ref, {:error, %{error | phase: :mid_stream}}})
  end

  defp play(to, ref, reply) do
    emit = &send(to, {:aybiza_bedrock, ref, &1})
    emit.(:message_start)

    if reply[:thinking] do
      emit.(:thinking_started)
      emit.({:thinking, reply[:thinking]})
    end

    text = reply[:text] || ""
    if text != "", do: emit.({:text, text})

    text
    |> sentences()
    |> Enum.with_index()
    |> Enum.each(fn {s, i} -> emit.({:sentence, i, s}) end)

    for use <- reply[:tool_uses] || [], do: emit.({:tool_use, use})

    summary = summary(reply)
    emit.({:stop_reason, summary.stop_reason})
    emit.({:usage, summary.usage})
    emit.({:done, summary})
  end

  defp sentences(""), do: []
  defp sentences(text), do: Regex.split(~r/(?<=[.!?])\s+/, String.trim(text), trim: true)

  defp summary(reply) do
    uses = reply[:tool_uses] || []
    text = reply[:text] || ""

    reasoning =
      if reply[:thinking],
        do: [
          %{reasoning_content: %{text: reply[:thinking], signature: reply[:signature] || "sig"}}
        ],
        else: []

    content =
      reasoning ++
        if(text != "", do: [%{text: text}], else: []) ++
        Enum.map(uses, &%{tool_use: %{tool_use_id: &1.id, name: &1.name, input: &1.input}})

    usage =
      Map.merge(%{input_tokens: 10, output_tokens: 5, total_tokens: 15}, reply[:usage] || %{})

    %{
      model_id: "fake-model",
      region: "us-east-1",
      request_id: "fake",
      stop_reason: reply[:stop_reason] || if(uses == [], do: :end_turn, else: :tool_use),
      usage: usage,
      text: text,
      content: content,
      sentences: length(sentences(text)),
      cost: %{nanodollars: 100, estimated?: false},
      timings: %{}
    }
  end
end

defmodule Aybiza.Test.ConversationRecordingBackend do
  @moduledoc """
  The native backend (engine + emulator) with every request recorded, so integration tests
  can check what the tool loop sent back. Pass `backend_opts: [record: agent_pid, ...]`.
  """
  @behaviour Aybiza.Bedrock.Backend

  alias Aybiza.Bedrock.Backend.Native

  @doc "Starts a recorder; returns its pid."
  def start! do
    {:ok, pid} = Agent.start(fn -> [] end)
    pid
  end

  @doc "The requests sent, in order."
  def requests(recorder), do: Agent.get(recorder, &Enum.reverse/1)

  @impl true
  def stream(request, opts) do
    {recorder, opts} = Keyword.pop!(opts, :record)
    Agent.update(recorder, &[request | &1])
    Native.stream(request, opts)
  end

  @impl true
  def converse(request, opts) do
    {recorder, opts} = Keyword.pop!(opts, :record)
    Agent.update(recorder, &[request | &1])
    Native.converse(request, opts)
  end

  @impl true
  def cancel(ref), do: Native.cancel(ref)
end
