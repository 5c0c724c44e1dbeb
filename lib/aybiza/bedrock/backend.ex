defmodule Aybiza.Bedrock.Backend do
  @moduledoc """
  The seam between the policy layer (`Aybiza.AWS.BedrockClient`, fallback, tools) and the
  native engine. `Aybiza.Bedrock.Backend.Native` is the real one; tests can plug in a fake
  that sends the same message protocol (see `Aybiza.Bedrock.stream/2`).

  Select with `config :aybiza_bedrock, :backend, MyBackend` or the `:backend` option.
  """

  @typedoc "A Converse-shaped request map (see `Aybiza.Bedrock`)."
  @type request :: map()

  @doc """
  Starts a streaming call and returns at once. Events go to `opts[:to]` (default: the
  caller) as `{:aybiza_bedrock, ref, event}`, ending with exactly one `{:done, summary}` or
  `{:error, %Aybiza.Error{}}`.
  """
  @callback stream(request(), keyword()) :: {:ok, reference()} | {:error, Aybiza.Error.t()}

  @doc "A non-streaming Converse call."
  @callback converse(request(), keyword()) :: {:ok, map()} | {:error, Aybiza.Error.t()}

  @doc "Cancels a stream; idempotent."
  @callback cancel(reference()) :: :ok
end

defmodule Aybiza.Bedrock.Backend.Native do
  @moduledoc "The native backend: the Rust engine through `Aybiza.Native`."
  @behaviour Aybiza.Bedrock.Backend

  @impl true
  # The relay of Aybiza.Bedrock.Turn.Relay has its own span: no raw-stream span under it.
  def stream(request, opts),
    do:
      Aybiza.Bedrock.stream(
        request,
        opts |> Keyword.delete(:backend) |> Keyword.put(:telemetry, false)
      )

  @impl true
  def converse(request, opts),
    do: Aybiza.Bedrock.converse(request, Keyword.delete(opts, :backend))

  @impl true
  def cancel(ref), do: Aybiza.Bedrock.cancel(ref)
end
