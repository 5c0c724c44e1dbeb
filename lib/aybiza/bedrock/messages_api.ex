defmodule Aybiza.Bedrock.MessagesApi do
  @moduledoc """
  Which Bedrock API a Converse-shaped request takes, and the engine operation for it.

  The newest Claude models (Claude Opus 4.7 and later) are served on the **Anthropic
  Messages API on Bedrock** (`POST /anthropic/v1/messages`, streamed as Server-Sent Events),
  where they have full feature parity; older models on Converse. The catalog lists each
  model's API families in preference order (`Aybiza.Bedrock.Catalog.get/1`'s `:apis`).

  Options (of `Aybiza.Bedrock.stream/2`, `count_tokens/2` and the client):

    * `:api` - `:auto` (default: the first of `:converse` / `:messages` the catalog lists for
      the model; `:converse` for ids the catalog does not know), `:converse` or `:messages`.
      Asking for an API the catalog says the model is not served on is an
      `{:error, %Aybiza.Error{reason: :invalid_request}}` before any network.
    * `:messages_endpoint` - `:runtime` (default; `bedrock-runtime.{region}.amazonaws.com`,
      SigV4 signing name `bedrock` or a Bedrock API key as bearer token, body
      `"anthropic_version": "bedrock-2023-05-31"`) or `:mantle`
      (`bedrock-mantle.{region}.api.aws`, SigV4 signing name `bedrock-mantle` or a Bedrock
      API key in `x-api-key`, header `anthropic-version: 2023-06-01`, model ids without a
      geographic prefix). With a custom `:endpoint` (e.g. the emulator) both go to it.

  The request is translated in Rust (`aybiza_core::messages`): system, messages, tools and
  tool choice, tool results (JSON results as text), images, PDF and text documents, thinking
  blocks with signatures, cache points as `cache_control` on the block they follow, and
  `additional_model_request_fields` (e.g. `thinking`, `top_k`, `output_config`) as body
  fields. What the Messages API cannot carry is refused, never dropped: guardrails,
  `performance_config`, `request_metadata`, additional response field paths, and
  doc/docx/xls/xlsx documents.
  """

  alias Aybiza.Bedrock.Catalog
  alias Aybiza.Error

  @type api :: :auto | :converse | :messages
  @type endpoint :: :runtime | :mantle

  @doc false
  @spec validate!(keyword()) :: {api(), endpoint()}
  def validate!(opts) do
    api = Keyword.get(opts, :api, :auto)
    endpoint = Keyword.get(opts, :messages_endpoint, :runtime)

    unless api in [:auto, :converse, :messages] do
      raise ArgumentError,
            ":api must be :auto, :converse or :messages, got: #{Aybiza.Bedrock.Options.shown(api)}"
    end

    unless endpoint in [:runtime, :mantle] do
      raise ArgumentError,
            ":messages_endpoint must be :runtime or :mantle, got: #{Aybiza.Bedrock.Options.shown(endpoint)}"
    end

    {api, endpoint}
  end

  @doc """
  The API a request takes (`:converse` or `:messages`), or an `:invalid_request` error when
  the caller asked for one the catalog says the model is not served on.
  """
  @spec select(map(), api()) :: {:ok, :converse | :messages} | {:error, Error.t()}
  def select(request, api) do
    model_id = model_id(request)

    # `Catalog.apis/1`, not `Catalog.get/1`: this runs on every call's path to its first
    # sentence, and only the APIs are needed.
    apis = Catalog.apis(model_id)

    case {api, apis} do
      {:auto, nil} ->
        {:ok, :converse}

      {:auto, apis} ->
        case Enum.find(apis, &(&1 in [:converse, :messages])) do
          nil -> not_served(model_id, apis, "Converse or the Messages API")
          found -> {:ok, found}
        end

      {wanted, nil} ->
        {:ok, wanted}

      {wanted, apis} ->
        if wanted in apis,
          do: {:ok, wanted},
          else: not_served(model_id, apis, name(wanted))
    end
  end

  defp name(:converse), do: "Converse"
  defp name(:messages), do: "the Anthropic Messages API"

  defp not_served(model_id, [:bidirectional], _what) do
    {:error,
     Error.new(
       :invalid_request,
       "#{model_id} is a speech-to-speech model: Bedrock serves it only on " <>
         "InvokeModelWithBidirectionalStream; open a session with " <>
         "Aybiza.Bedrock.Sonic.start_session/1"
     )}
  end

  defp not_served(model_id, apis, what) do
    {:error,
     Error.new(
       :invalid_request,
       "#{model_id} is not served on #{what} on Bedrock (it is on: " <>
         Enum.map_join(apis, ", ", &inspect/1) <> ")"
     )}
  end

  @doc false
  # The engine operation of a streaming call.
  @spec stream_operation(:converse | :messages, endpoint()) :: atom()
  def stream_operation(:converse, _), do: :converse_stream
  def stream_operation(:messages, :runtime), do: :messages
  def stream_operation(:messages, :mantle), do: :messages_mantle

  @doc false
  # The engine operation of a token count.
  @spec count_operation(:converse | :messages, endpoint()) :: atom()
  def count_operation(:converse, _), do: :count_tokens
  def count_operation(:messages, :runtime), do: :messages_count_tokens
  def count_operation(:messages, :mantle), do: :messages_count_tokens_mantle

  defp model_id(request) do
    Map.get(request, :model_id) || Map.get(request, "model_id") || Map.get(request, :modelId) ||
      Map.get(request, "modelId")
  end
end
