defmodule Aybiza.Bedrock.Emulator do
  @moduledoc """
  The embedded local Bedrock Runtime (the `bedrock_emulator` Rust crate, run through the NIF
  on its own thread and tokio runtime).

  It speaks Bedrock Runtime's wire protocol (Converse, ConverseStream, InvokeModel,
  InvokeModelWithResponseStream, CountTokens; restJson1, binary event streams, SigV4) and the
  Anthropic Messages API (`POST /anthropic/v1/messages`, bedrock-runtime and bedrock-mantle
  styles, Server-Sent Events), so the real AWS client works against it with its test
  credentials. It rejects what Bedrock rejects (its own model table: profile-only base ids,
  end-of-life models, sampling and thinking rules, unknown keys, session tokens). Use it in
  tests the way you would use Bypass:

      setup do
        emulator = start_supervised!({Aybiza.Bedrock.Emulator, rules: [%{prompt_contains: "hours", reply: "We open at 9 a.m."}]})
        %{url: Aybiza.Bedrock.Emulator.url(emulator), creds: Aybiza.Bedrock.Emulator.credentials(emulator)}
      end

  ## Availability

  The emulator is a cargo feature of the NIF, built into `:dev` and `:test` builds (this
  project's tests, the demo; a host app's `_build/dev` and `_build/test`, although Mix
  compiles dependencies in `:prod`) and left out of `:prod` builds (releases, Docker images),
  where it would only add build time. Without it, `start_link/1` and `shared/0` fail with a
  message that says so; `available?/0` tells beforehand. `AYBIZA_NIF_EMULATOR=1` or `0` at
  compile time decides instead (`bin/soak` sets `1` for its :prod build).

  ## Options

    * `:port` - port to bind on 127.0.0.1 (default `0`, any free port)
    * `:access_key_id`, `:secret_access_key` - accepted SigV4 credentials (defaults: the AWS
      documentation example keys `AKIAIOSFODNN7EXAMPLE` / `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`)
    * `:api_key` - also accept `Authorization: Bearer <api_key>` (Bedrock API keys), and
      `x-api-key: <api_key>` on the bedrock-mantle style Messages API
    * `:tls` - also serve HTTPS (HTTP/1.1 and HTTP/2) on a second port with a CA generated at
      start; see `tls_url/1` and `ca_pem/1` (default `false`)
    * `:tls_port` - port of the TLS listener (default `0`)
    * `:sonic` - settings of the Nova Sonic bidirectional route (`connection_limit_ms`,
      `turn_silence_ms`, `min_speech_ms`, `speech_threshold`, `ms_per_char`, `audio_chunk_ms`,
      `speed`, `tone`; see docs/EMULATOR.md), e.g. `[connection_limit_ms: 2_000, speed: 8]`
    * `:pacing` - map/keyword (`first_token_ms`, `tps`, `delta_chars`) or a spec string
      such as `"first_token_ms=200,tps=50"`
    * `:faults` - map/keyword (`throttle_share`, `error`, `error_message`, `exception`,
      `exception_after`, `reset_after`, `stall_after`, `corrupt_after`, `truncate_after`,
      `throttle_above`) or a spec string such as `"exception=throttlingException@3"`.
      `throttle_above: [requests_per_minute: 600, tokens_per_minute: 2_000_000, burst_ms:
      1_000, per: "model" | "instance"]` (spec `"rpm=600,tpm=2000000,rate_burst_ms=1000"`)
      answers ThrottlingException 429 above that rate, per (model, Region) by default, as
      Bedrock's quotas do (see docs/EMULATOR.md "Rate throttling")
    * `:rules` - list of maps/keywords (`model`, `prompt_contains`, `reply`,
      `reply_after_tool`, `tool_uses`, `thinking`, `prefill` (`"continue"` or `"restart"`),
      `guardrail` (`%{on: "input" | "output", id: ..., topic: ...}`), `pacing`, `faults`)
    * `:guardrails` - the guardrails that exist, as maps/keywords (`id`, `versions` (default
      `["1"]`; `"DRAFT"` always exists), `blocked_input_messaging`,
      `blocked_outputs_messaging`); a request naming another guardrail is rejected
    * `:application_profiles` - application inference profiles that exist, as maps/keywords
      (`id`, `name`, `model_source`: a catalog model or system-defined profile id or ARN);
      served by the control plane's GetInferenceProfile / ListInferenceProfiles and invocable
      by their ARN with the source model's rules
    * `:verify_signatures` - `false` accepts any Authorization (default `true`)
    * `:models` - extra model ids to accept
    * `:name` - optional registered name

  See docs/EMULATOR.md for the reply rules, fault syntax and counters.
  """
  use GenServer

  alias Aybiza.Native

  @default_access_key_id "AKIAIOSFODNN7EXAMPLE"
  @default_secret_access_key "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

  @options [
    :name,
    port: 0,
    access_key_id: @default_access_key_id,
    secret_access_key: @default_secret_access_key,
    api_key: nil,
    pacing: nil,
    faults: nil,
    rules: [],
    verify_signatures: true,
    models: [],
    guardrails: [],
    application_profiles: [],
    tls: false,
    tls_port: 0,
    sonic: nil
  ]

  @type server :: GenServer.server()
  @type credentials :: %{
          access_key_id: String.t(),
          secret_access_key: String.t(),
          api_key: String.t() | nil
        }
  @type temporary_credentials :: %{
          access_key_id: String.t(),
          secret_access_key: String.t(),
          session_token: String.t()
        }

  @doc false
  def child_spec(opts) do
    %{
      id: Keyword.get(opts, :name, __MODULE__),
      start: {__MODULE__, :start_link, [opts]},
      type: :worker
    }
  end

  @doc "Whether the loaded NIF carries the emulator (see \"Availability\" above)."
  @spec available?() :: boolean()
  def available?, do: Native.emulator_built()

  @doc "Starts an emulator linked to the caller. See the module docs for options."
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts \\ []) do
    opts = Keyword.validate!(opts, @options)
    {name, opts} = Keyword.pop(opts, :name)
    config = native_config(opts)

    if name,
      do: GenServer.start_link(__MODULE__, config, name: name),
      else: GenServer.start_link(__MODULE__, config)
  end

  @doc "The base URL, e.g. `\"http://127.0.0.1:53124\"` (pass it as the client's endpoint)."
  @spec url(server()) :: String.t()
  def url(server), do: GenServer.call(server, :url)

  @doc """
  The test credentials the emulator accepts (pass them to the client).

  `credentials(server, :temporary)` returns the temporary credentials the instance issued at
  start (an `ASIA...` key id, its secret and a `session_token`), as STS would: requests
  signed with them must carry exactly that session token; any other `x-amz-security-token`
  is answered 403 `UnrecognizedClientException`, as on Bedrock.
  """
  @spec credentials(server()) :: credentials()
  def credentials(server), do: GenServer.call(server, :credentials)

  @spec credentials(server(), :long_term | :temporary) :: credentials() | temporary_credentials()
  def credentials(server, :long_term), do: credentials(server)
  def credentials(server, :temporary), do: GenServer.call(server, :temporary_credentials)

  @doc "The HTTPS base URL when started with `tls: true`, else `nil`."
  @spec tls_url(server()) :: String.t() | nil
  def tls_url(server), do: GenServer.call(server, :tls_url)

  @doc "PEM of the CA that signed the TLS listener's certificate (`nil` without `tls: true`)."
  @spec ca_pem(server()) :: String.t() | nil
  def ca_pem(server), do: GenServer.call(server, :ca_pem)

  @doc """
  Request counters: `%{"converse-stream" => %{"ok" => 3, "throttled" => 1}, ...,
  "total_requests" => 4, "open_streams" => 0}`.
  """
  @spec counters(server()) :: map()
  def counters(server), do: GenServer.call(server, :counters)

  @doc "Resets the counters (open streams are not affected) and refills the `throttle_above` windows."
  @spec reset_counters(server()) :: :ok
  def reset_counters(server), do: GenServer.call(server, :reset_counters)

  @doc "Replaces the instance-wide faults (map, keyword, spec string or `nil`; see `:faults`)."
  @spec set_faults(server(), map() | keyword() | String.t() | nil) :: :ok | {:error, String.t()}
  def set_faults(server, faults), do: GenServer.call(server, {:set_faults, normalize(faults)})

  @doc "Replaces the instance-wide pacing (map, keyword, spec string or `nil`)."
  @spec set_pacing(server(), map() | keyword() | String.t() | nil) :: :ok | {:error, String.t()}
  def set_pacing(server, pacing), do: GenServer.call(server, {:set_pacing, normalize(pacing)})

  @doc "Replaces the scripted-reply rules."
  @spec set_rules(server(), [map() | keyword()]) :: :ok | {:error, String.t()}
  def set_rules(server, rules) when is_list(rules),
    do: GenServer.call(server, {:set_rules, Enum.map(rules, &normalize/1)})

  @doc """
  A process-independent emulator shared by the whole node (started on first use with
  `config :aybiza_bedrock, :emulator, opts`, then kept for the life of the VM). Returns its
  URL and test credentials. Used by `endpoint: :emulator`.
  """
  @spec shared() :: %{url: String.t(), credentials: credentials(), handle: reference()}
  def shared do
    case :persistent_term.get({__MODULE__, :shared}, nil) do
      nil ->
        :global.trans({{__MODULE__, :shared}, self()}, fn ->
          case :persistent_term.get({__MODULE__, :shared}, nil) do
            nil -> start_shared()
            shared -> shared
          end
        end)

      shared ->
        shared
    end
  end

  defp start_shared do
    opts = Keyword.validate!(Application.get_env(:aybiza_bedrock, :emulator, []), @options)
    {_name, opts} = Keyword.pop(opts, :name)

    case Native.emulator_start(native_config(opts)) do
      {:ok, handle} ->
        shared = %{url: Native.emulator_url(handle), credentials: creds(handle), handle: handle}
        :persistent_term.put({__MODULE__, :shared}, shared)
        shared

      {:error, message} ->
        raise RuntimeError, "cannot start the shared Bedrock emulator: #{message}"
    end
  end

  @impl true
  def init(config) do
    Process.flag(:trap_exit, true)

    case Native.emulator_start(config) do
      {:ok, handle} -> {:ok, %{handle: handle, url: Native.emulator_url(handle)}}
      {:error, message} -> {:stop, {:emulator_start_failed, message}}
    end
  end

  @impl true
  def handle_call(:url, _from, state), do: {:reply, state.url, state}
  def handle_call(:credentials, _from, state), do: {:reply, creds(state.handle), state}

  def handle_call(:temporary_credentials, _from, state) do
    t = Native.emulator_credentials(state.handle)["temporary"]

    reply = %{
      access_key_id: t["access_key_id"],
      secret_access_key: t["secret_access_key"],
      session_token: t["session_token"]
    }

    {:reply, reply, state}
  end

  def handle_call(:tls_url, _from, state),
    do: {:reply, Native.emulator_credentials(state.handle)["tls_url"], state}

  def handle_call(:ca_pem, _from, state),
    do: {:reply, Native.emulator_credentials(state.handle)["ca_pem"], state}

  def handle_call(:counters, _from, state),
    do: {:reply, Native.emulator_counters(state.handle), state}

  def handle_call(:reset_counters, _from, state),
    do: {:reply, Native.emulator_reset_counters(state.handle), state}

  def handle_call({:set_faults, faults}, _from, state),
    do: {:reply, Native.emulator_set_faults(state.handle, faults), state}

  def handle_call({:set_pacing, pacing}, _from, state),
    do: {:reply, Native.emulator_set_pacing(state.handle, pacing), state}

  def handle_call({:set_rules, rules}, _from, state),
    do: {:reply, Native.emulator_set_rules(state.handle, rules), state}

  @impl true
  def terminate(_reason, %{handle: handle}) do
    Native.emulator_stop(handle)
    :ok
  end

  defp creds(handle) do
    c = Native.emulator_credentials(handle)

    %{
      access_key_id: c["access_key_id"],
      secret_access_key: c["secret_access_key"],
      api_key: c["api_key"]
    }
  end

  defp native_config(opts) do
    %{
      port: opts[:port],
      access_key_id: opts[:access_key_id],
      secret_access_key: opts[:secret_access_key],
      api_key: opts[:api_key],
      pacing: normalize(opts[:pacing]),
      faults: normalize(opts[:faults]),
      rules: Enum.map(opts[:rules] || [], &normalize/1),
      verify_signatures: opts[:verify_signatures],
      extra_models: opts[:models] || [],
      guardrails: Enum.map(opts[:guardrails] || [], &normalize/1),
      application_profiles: Enum.map(opts[:application_profiles] || [], &normalize/1),
      tls: opts[:tls] || false,
      tls_port: opts[:tls_port] || 0,
      sonic: normalize(opts[:sonic])
    }
  end

  # Keyword lists become maps (the NIF takes maps, lists, strings, numbers and atoms).
  defp normalize(nil), do: nil
  defp normalize(value) when is_binary(value), do: value

  defp normalize(value) when is_list(value) do
    if value != [] and Keyword.keyword?(value),
      do: Map.new(value, fn {k, v} -> {k, normalize(v)} end),
      else: Enum.map(value, &normalize/1)
  end

  defp normalize(%{} = map) when not is_struct(map),
    do: Map.new(map, fn {k, v} -> {k, normalize(v)} end)

  defp normalize(other), do: other
end
