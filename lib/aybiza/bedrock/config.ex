defmodule Aybiza.Bedrock.Config do
  @moduledoc """
  Client configuration: resolves the client options of `Aybiza.Bedrock` against the
  application environment into a `%Aybiza.Bedrock.Config{}`, whose credentials stay sealed
  (see `Aybiza.Bedrock.Credentials`); the plain map the native engine decodes is built only
  as the argument of the NIF call.

  Application environment (`config :aybiza_bedrock, ...`): `:region`, `:endpoint`,
  `:credentials`, `:timeouts`, `:tls_ca`. `:tls_ca` is a PEM certificate (or several)
  trusted besides the platform's roots for HTTPS endpoints, e.g. the local emulator's CA
  (`Aybiza.Bedrock.Emulator.ca_pem/1`) or a corporate proxy's. The engine validates the region (a well-formed AWS region
  name) and the endpoint (an http(s) URL with a host and nothing else) before any network.
  """

  alias Aybiza.Bedrock.{Credentials, Options}

  @client_opts [:region, :endpoint, :credentials, :timeouts, :tls_ca]
  # AWS Region names are short ("ap-southeast-5"); an endpoint is a scheme, a host and a
  # port. Longer values are refused here, before any copy into native code.
  @max_region_bytes 64
  @max_endpoint_bytes 2_048
  # A CA bundle is a few KB; anything past this is not one.
  @max_tls_ca_bytes 65_536
  @timeout_keys [:connect, :first_byte, :idle, :total]
  @default_timeouts [connect: 3_000, first_byte: 10_000, idle: 10_000, total: 120_000]

  @enforce_keys [:region, :credentials]
  defstruct region: nil, endpoint: nil, credentials: nil, timeouts: %{}, tls_ca: nil

  @typedoc """
  A resolved client configuration. The credentials are a `Aybiza.Bedrock.Credentials`
  struct (its `Inspect` redacts them); the plain map the engine decodes is built by
  `native/1` only as the argument of a NIF call.
  """
  @type t :: %__MODULE__{
          region: String.t(),
          endpoint: String.t() | nil,
          credentials: Credentials.t(),
          timeouts: %{optional(atom()) => pos_integer()},
          tls_ca: String.t() | nil
        }

  @doc "The client option names."
  @spec client_option_names() :: [atom()]
  def client_option_names, do: @client_opts

  @doc """
  Resolves the client options `opts` (see `Aybiza.Bedrock`) against the application
  environment into a `%Aybiza.Bedrock.Config{}`. An unknown option or a value of the wrong
  type raises `ArgumentError` naming the option, never printing a credential. The engine
  validates the region and endpoint when a call starts (one decode per call), so an invalid
  one comes back as that call's
  `{:error, %Aybiza.Error{reason: :invalid_region | :invalid_endpoint}}`. An endpoint with user
  info (`https://user:password@host`) is refused here, before the engine, with a message that
  does not repeat it.
  """
  @spec client_config(keyword()) :: {:ok, t()} | {:error, Aybiza.Error.t()}
  def client_config(opts) do
    opts = Options.validate!(opts, @client_opts, "Aybiza.Bedrock client option")
    region = opts[:region] || app_env(:region) || System.get_env("AWS_REGION") || "us-east-1"
    endpoint = Keyword.get_lazy(opts, :endpoint, fn -> app_env(:endpoint) end)
    creds = Keyword.get_lazy(opts, :credentials, fn -> app_env(:credentials, :default) end)
    timeouts = timeouts!(Keyword.get_lazy(opts, :timeouts, fn -> app_env(:timeouts, []) end))
    tls_ca = tls_ca!(Keyword.get_lazy(opts, :tls_ca, fn -> app_env(:tls_ca) end))

    unless is_binary(region) do
      raise ArgumentError, ":region must be a string, got #{Options.describe(region)}"
    end

    {endpoint, creds} = resolve_endpoint(endpoint, creds)
    creds = Credentials.new(creds)

    cond do
      byte_size(region) > @max_region_bytes ->
        {:error,
         Aybiza.Error.new(
           :invalid_region,
           "the region is #{byte_size(region)} bytes; AWS Region names are at most " <>
             "#{@max_region_bytes}"
         )}

      is_binary(endpoint) and byte_size(endpoint) > @max_endpoint_bytes ->
        {:error,
         Aybiza.Error.new(
           :invalid_endpoint,
           "the endpoint is #{byte_size(endpoint)} bytes; at most #{@max_endpoint_bytes} " <>
             "(scheme://host[:port])"
         )}

      true ->
        client_config(region, endpoint, creds, timeouts, tls_ca)
    end
  end

  defp client_config(region, endpoint, creds, timeouts, tls_ca) do
    if is_binary(endpoint) and String.contains?(endpoint, "@") do
      {:error,
       Aybiza.Error.new(
         :invalid_endpoint,
         "the endpoint must be scheme://host[:port]: user info (user:password@) is not " <>
           "allowed (credentials go in :credentials)"
       )}
    else
      {:ok,
       %__MODULE__{
         region: region,
         endpoint: endpoint,
         credentials: creds,
         timeouts: Map.new(timeouts),
         tls_ca: tls_ca
       }}
    end
  end

  @doc false
  # The term handed to the NIF (the engine decodes a plain map); built at the call, never
  # stored, logged or returned.
  @spec native(t()) :: map()
  def native(%__MODULE__{} = config) do
    %{
      region: config.region,
      endpoint: config.endpoint,
      credentials: Credentials.to_native(config.credentials),
      timeouts: config.timeouts,
      tls_ca_pem: config.tls_ca
    }
  end

  @doc false
  # Client options with `:credentials` normalized to a `%Credentials{}`, so every later
  # inspect, crash report or error of a process holding them shows no secret. Other keys are
  # left for `client_config/1` to validate.
  @spec seal_credentials(term()) :: term()
  def seal_credentials(opts) do
    if Keyword.keyword?(opts) and Keyword.has_key?(opts, :credentials) do
      Keyword.update!(opts, :credentials, &seal/1)
    else
      opts
    end
  end

  # :default and :emulator-resolved credentials carry no secret; everything else becomes
  # the redacting struct (or an ArgumentError that names no value).
  defp seal(nil), do: nil
  defp seal(:default), do: :default
  defp seal(creds), do: Credentials.new(creds)

  # `:emulator` is the embedded local Bedrock: its URL and its test credentials (unless the
  # caller insists on other credentials, e.g. to test a rejection).
  defp resolve_endpoint(:emulator, creds) do
    %{url: url, credentials: emulator_creds} = Aybiza.Bedrock.Emulator.shared()
    {url, if(creds in [nil, :default], do: emulator_creds, else: creds)}
  end

  defp resolve_endpoint(nil, creds), do: {nil, creds}
  defp resolve_endpoint(url, creds) when is_binary(url), do: {url, creds}

  # Not inspected: an endpoint may carry user info.
  defp resolve_endpoint(other, _creds) do
    raise ArgumentError,
          ":endpoint must be nil, :emulator or an http(s) URL string, got #{Options.describe(other)}"
  end

  defp tls_ca!(nil), do: nil

  defp tls_ca!(pem) when is_binary(pem) and byte_size(pem) <= @max_tls_ca_bytes do
    if String.contains?(pem, "-----BEGIN CERTIFICATE-----") do
      pem
    else
      raise ArgumentError, ":tls_ca must be PEM text with at least one CERTIFICATE block"
    end
  end

  defp tls_ca!(other) do
    raise ArgumentError,
          ":tls_ca must be a PEM string of at most #{@max_tls_ca_bytes} bytes, got " <>
            Options.describe(other)
  end

  defp timeouts!(timeouts) do
    timeouts = Options.validate!(timeouts, @default_timeouts, "timeout")

    for {key, value} <- timeouts do
      unless key in @timeout_keys and is_integer(value) and value > 0 do
        raise ArgumentError,
              "timeout #{inspect(key)} must be a positive integer (ms), got: #{Aybiza.Bedrock.Options.shown(value)}"
      end
    end

    timeouts
  end

  @doc false
  # `true` -> default segmenter, `false` -> no sentences, keyword -> validated options (an
  # unknown option or a bad value raises ArgumentError naming it).
  @spec segmenter_options!(boolean() | keyword()) :: map() | false
  def segmenter_options!(true), do: %{}

  def segmenter_options!(preset) when preset in [:voice, :sentence],
    do: Aybiza.Bedrock.Text.segmenter_options(preset)

  def segmenter_options!(false), do: false
  def segmenter_options!(opts) when is_list(opts), do: Aybiza.Bedrock.Text.segmenter_options(opts)

  def segmenter_options!(other),
    do:
      raise(
        ArgumentError,
        ":sentences must be a boolean, :voice, :sentence or a keyword list, got: #{Aybiza.Bedrock.Options.shown(other)}"
      )

  defp app_env(key, default \\ nil), do: Application.get_env(:aybiza_bedrock, key, default)
end
