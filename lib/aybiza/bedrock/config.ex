defmodule Aybiza.Bedrock.Config do
  @moduledoc """
  Client configuration: resolves the client options of `Aybiza.Bedrock` against the
  application environment into what the native engine takes.

  Application environment (`config :aybiza_bedrock, ...`): `:region`, `:endpoint`,
  `:credentials`, `:timeouts`. The engine validates the region (a well-formed AWS region
  name) and the endpoint (an http(s) URL with a host and nothing else) before any network.
  """

  alias Aybiza.Bedrock.Credentials

  @client_opts [:region, :endpoint, :credentials, :timeouts]
  @timeout_keys [:connect, :first_byte, :idle, :total]
  @default_timeouts [connect: 3_000, first_byte: 10_000, idle: 10_000, total: 120_000]

  @doc "The client option names."
  @spec client_option_names() :: [atom()]
  def client_option_names, do: @client_opts

  @doc """
  Builds the native client configuration from `opts` (unknown options raise
  `ArgumentError`). The engine validates the region and endpoint when a call starts (one
  decode per call), so an invalid one comes back as that call's
  `{:error, %Aybiza.Error{reason: :invalid_region | :invalid_endpoint}}`.
  """
  @spec client_config(keyword()) :: {:ok, map()}
  def client_config(opts) do
    opts = Keyword.validate!(opts, @client_opts)
    region = opts[:region] || app_env(:region) || System.get_env("AWS_REGION") || "us-east-1"
    endpoint = Keyword.get_lazy(opts, :endpoint, fn -> app_env(:endpoint) end)
    creds = Keyword.get_lazy(opts, :credentials, fn -> app_env(:credentials, :default) end)
    timeouts = timeouts!(Keyword.get_lazy(opts, :timeouts, fn -> app_env(:timeouts, []) end))

    unless is_binary(region) do
      raise ArgumentError, ":region must be a string, got: #{inspect(region)}"
    end

    {endpoint, creds} = resolve_endpoint(endpoint, creds)
    creds = Credentials.new(creds)

    {:ok,
     %{
       region: region,
       endpoint: endpoint,
       credentials: Credentials.to_native(creds),
       timeouts: Map.new(timeouts)
     }}
  end

  # `:emulator` is the embedded local Bedrock: its URL and its test credentials (unless the
  # caller insists on other credentials, e.g. to test a rejection).
  defp resolve_endpoint(:emulator, creds) do
    %{url: url, credentials: emulator_creds} = Aybiza.Bedrock.Emulator.shared()
    {url, if(creds in [nil, :default], do: emulator_creds, else: creds)}
  end

  defp resolve_endpoint(nil, creds), do: {nil, creds}
  defp resolve_endpoint(url, creds) when is_binary(url), do: {url, creds}

  defp resolve_endpoint(other, _creds) do
    raise ArgumentError,
          ":endpoint must be nil, :emulator or an http(s) URL string, got: #{inspect(other)}"
  end

  defp timeouts!(timeouts) when is_list(timeouts) do
    timeouts = Keyword.validate!(timeouts, @default_timeouts)

    for {key, value} <- timeouts do
      unless key in @timeout_keys and is_integer(value) and value > 0 do
        raise ArgumentError,
              "timeout #{inspect(key)} must be a positive integer (ms), got: #{inspect(value)}"
      end
    end

    timeouts
  end

  defp timeouts!(other),
    do: raise(ArgumentError, ":timeouts must be a keyword list, got: #{inspect(other)}")

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
        ":sentences must be a boolean, :voice, :sentence or a keyword list, got: #{inspect(other)}"
      )

  defp app_env(key, default \\ nil), do: Application.get_env(:aybiza_bedrock, key, default)
end
