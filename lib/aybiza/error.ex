defmodule Aybiza.Error do
  @moduledoc """
  The error of every failed call, mirrored from the Rust error enum.

  Match on `reason`, an atom:

  | reason | meaning | retryable? |
  |---|---|---|
  | `:throttled` | ThrottlingException (429) | yes |
  | `:model_not_ready` | ModelNotReadyException (429) | yes |
  | `:service_unavailable` | ServiceUnavailableException (503) | yes |
  | `:internal_server` | InternalServerException (500) | yes |
  | `:validation` | ValidationException (400) | no |
  | `:access_denied` | AccessDeniedException (403) | no |
  | `:invalid_credentials` | UnrecognizedClient / InvalidSignature (403) | no |
  | `:expired_credentials` | ExpiredTokenException or expired credentials | no |
  | `:model_not_found` | ResourceNotFoundException (404) | no |
  | `:model_timeout` | ModelTimeoutException (408) | yes |
  | `:model_error` | ModelErrorException (424) | no |
  | `:model_stream_error` | modelStreamErrorException mid-stream, or a stream whose body ends cleanly before its last event (between events or inside one); a connection that breaks off is `:connect` | yes |
  | `:quota_exceeded` | ServiceQuotaExceededException | no |
  | `:timeout` | the whole call exceeded its `:total` timeout | yes |
  | `:connect_timeout` | no connection within `:connect` | yes |
  | `:first_byte_timeout` | no response within `:first_byte` | yes |
  | `:idle_timeout` | no event within `:idle` after the stream started | yes |
  | `:connect` | the connection failed or was reset, before the response ("could not reach Bedrock: ...") or inside its body ("the connection to Bedrock broke off: ...", `phase: :mid_stream`); the same on every transport | yes |
  | `:protocol` | a corrupt or unreadable response (e.g. bad event-stream CRC, a frame over the protocol's 16 MiB, an event that is not JSON or not UTF-8, bytes after the last event: "unreadable event stream from Bedrock: ...") | yes |
  | `:cancelled` | the call was cancelled (`cancel/1`) | no |
  | `:invalid_request` | the request failed validation before any network; `message` names the field path (and says when a text is not valid UTF-8) | no |
  | `:invalid_region` / `:invalid_endpoint` / `:invalid_config` | bad client configuration | no |
  | `:unknown_model` | the model id is not in the catalog | no |
  | `:model_end_of_life` | the model reached end of life on Bedrock (checked before any network); `message` names the replacement | no |
  | `:circuit_open` | `Aybiza.AWS.BedrockClient`: the circuit breaker of that model and region is open, so the attempt was not sent (the policy moves on to a fallback) | yes (elsewhere) |
  | `:quota_share_exceeded` | `Aybiza.Bedrock.Cluster.Admission`: this node's share of the account's Bedrock quota for that model and region had no room within the admission wait bound, so the attempt was not sent (the policy moves on to a fallback, as for `:circuit_open`) | yes (elsewhere) |
  | `:max_rounds` | `Aybiza.Bedrock.ToolLoop`: the model still asked for tools after `:max_rounds` rounds | no |
  | `:guardrail_intervened` | `Aybiza.AWS.BedrockClient`: the request's guardrail blocked the prompt or the answer (stop reason `guardrail_intervened`); `guardrail` holds the trace when one was asked for | no |
  | `:overloaded` | a bounded input queue is full: `Aybiza.Bedrock.Sonic.send_audio/3` when Bedrock reads slower than audio arrives (drop or retry the frame) | yes |
  | `:internal` | a bug in this library or a process of the call that died (a panic caught in a task, a relay or tool loop that exited before its terminal) | no |

  `phase` is `:before_stream` when nothing reached the caller yet, `:mid_stream` otherwise;
  then `delivered` tells what the caller already received (`chars`, `sentences`, `text`).
  `guardrail` is the guardrail trace of a `:guardrail_intervened` error (string keys, as in
  `{:guardrail_trace, trace}`), else nil.
  Messages never contain credentials.
  """

  @type reason ::
          :throttled
          | :model_not_ready
          | :service_unavailable
          | :internal_server
          | :validation
          | :access_denied
          | :invalid_credentials
          | :expired_credentials
          | :model_not_found
          | :model_timeout
          | :model_error
          | :model_stream_error
          | :quota_exceeded
          | :timeout
          | :connect_timeout
          | :first_byte_timeout
          | :idle_timeout
          | :connect
          | :protocol
          | :cancelled
          | :invalid_request
          | :invalid_region
          | :invalid_endpoint
          | :invalid_config
          | :unknown_model
          | :model_end_of_life
          | :circuit_open
          | :quota_share_exceeded
          | :max_rounds
          | :guardrail_intervened
          | :overloaded
          | :internal

  @type t :: %__MODULE__{
          reason: reason(),
          message: String.t(),
          code: String.t() | nil,
          status: non_neg_integer() | nil,
          retryable?: boolean(),
          phase: :before_stream | :mid_stream,
          request_id: String.t() | nil,
          model_id: String.t() | nil,
          region: String.t() | nil,
          delivered:
            %{chars: non_neg_integer(), sentences: non_neg_integer(), text: String.t()} | nil,
          guardrail: map() | nil
        }

  defexception reason: :internal,
               message: "",
               code: nil,
               status: nil,
               retryable?: false,
               phase: :before_stream,
               request_id: nil,
               model_id: nil,
               region: nil,
               delivered: nil,
               guardrail: nil

  @retryable [
    :throttled,
    :quota_share_exceeded,
    :model_not_ready,
    :service_unavailable,
    :internal_server,
    :model_timeout,
    :model_stream_error,
    :timeout,
    :connect_timeout,
    :first_byte_timeout,
    :idle_timeout,
    :connect,
    :protocol,
    :circuit_open,
    :overloaded
  ]

  @doc "Builds an error for `reason` with `message`; other fields from `fields`."
  @spec new(reason(), String.t(), keyword()) :: t()
  def new(reason, message, fields \\ []) when is_atom(reason) and is_binary(message) do
    struct!(
      %__MODULE__{reason: reason, message: message, retryable?: reason in @retryable},
      fields
    )
  end

  @doc "Whether `reason` is worth another try (same or another model/region)."
  @spec retryable_reason?(reason()) :: boolean()
  def retryable_reason?(reason), do: reason in @retryable

  @doc false
  # Built from the tagged tuple the NIF sends: {:aybiza_error, reason, fields_map}.
  @spec from_native(term()) :: t()
  def from_native({:aybiza_error, reason, fields}) when is_atom(reason) and is_map(fields) do
    %__MODULE__{
      reason: reason,
      message: Map.get(fields, :message, ""),
      code: Map.get(fields, :code),
      status: Map.get(fields, :status),
      retryable?: Map.get(fields, :retryable, reason in @retryable),
      phase: Map.get(fields, :phase, :before_stream),
      request_id: Map.get(fields, :request_id),
      model_id: Map.get(fields, :model_id),
      region: Map.get(fields, :region),
      delivered: Map.get(fields, :delivered)
    }
  end

  def from_native(%__MODULE__{} = error), do: error

  def from_native(other), do: new(:internal, "unexpected native error: #{inspect(other)}")

  @impl true
  def message(%__MODULE__{reason: reason, message: message, code: code}) do
    code = if code, do: " (#{code})", else: ""
    "#{reason}#{code}: #{message}"
  end
end
