defmodule Aybiza.Bedrock.Health do
  @moduledoc """
  The health report of `Aybiza.Bedrock.health/1` (and `mix aybiza.check`): can this node
  talk to Bedrock right now?

    * `:credentials` - the configured credentials resolve and Bedrock accepts their
      signature (`:ok`, or `{:error, reason}` with an `Aybiza.Error` reason such as
      `:invalid_credentials`, `:expired_credentials`, `:access_denied`); `:credentials_type`
      says which kind is configured (`:static`, `:profile`, `:default`, ...), never a value.
    * `:endpoint` - one cheap call: CountTokens of a one-word request (no inference, no
      charge) on `:model_id` (default: the client's default model). `%{status: :ok |
      :error, url: ..., latency_ms: ms, model_id: id, reason: nil | reason}`. A
      `:validation` or `:model_not_found` answer still proves the endpoint reachable and the
      signature accepted (Bedrock authenticates before it validates), so it counts as
      reachable, with the reason kept.
    * `:breakers` - every circuit breaker that has seen a failure:
      `[%{model_id:, region:, state: :closed | :open | :half_open}]`.
    * `:live_streams` - calls running in the engine now.
    * `:status` - `:ok`; `:degraded` when a breaker is open or half-open; `:down` when the
      credentials or the endpoint fail.
  """

  alias Aybiza.Bedrock.{CircuitBreaker, Config}
  alias Aybiza.Error

  @credential_errors [:invalid_credentials, :expired_credentials, :access_denied]
  @reachable_errors [:validation, :model_not_found]

  @typedoc "The health report."
  @type report :: %{
          status: :ok | :degraded | :down,
          region: String.t() | nil,
          credentials: :ok | {:error, atom()},
          credentials_type: atom() | nil,
          endpoint: map(),
          breakers: [map()],
          live_streams: non_neg_integer()
        }

  @doc """
  Checks health. Options: the client options of `Aybiza.Bedrock` (`:region`, `:endpoint`,
  `:credentials`, ...), plus `:model_id` (the model CountTokens counts for; any id form the
  catalog takes, sent as its base id) and `:count_tokens` (`false` skips the network call:
  only configuration, breakers and live streams are reported).
  """
  @spec check(keyword()) :: report()
  def check(opts \\ []) do
    {own, client_opts} =
      Keyword.split(Aybiza.Bedrock.Options.keyword!(opts), [:model_id, :count_tokens])

    own = Keyword.validate!(own, model_id: nil, count_tokens: true)

    breakers =
      for {{model_id, region}, state} <- CircuitBreaker.list(),
          do: %{model_id: model_id, region: region, state: state}

    base = %{
      breakers: Enum.sort_by(breakers, &{&1.model_id, &1.region}),
      live_streams: Aybiza.Bedrock.live_streams()
    }

    case Config.client_config(client_opts) do
      {:ok, config} ->
        endpoint = endpoint(config, client_opts, own)

        credentials =
          case endpoint do
            %{reason: reason} when reason in @credential_errors -> {:error, reason}
            %{status: :skipped} -> :ok
            %{status: :ok} -> :ok
            # Not reached: the credentials are not known to be accepted.
            %{reason: reason} -> {:error, reason}
          end

        Map.merge(base, %{
          region: config.region,
          credentials: credentials,
          credentials_type: config.credentials.type,
          endpoint: endpoint
        })
        |> with_status()

      {:error, %Error{reason: reason}} ->
        Map.merge(base, %{
          region: nil,
          credentials: {:error, reason},
          credentials_type: nil,
          endpoint: %{status: :error, url: nil, reason: reason, latency_ms: nil, model_id: nil}
        })
        |> with_status()
    end
  end

  defp endpoint(config, client_opts, own) do
    url = display_url(config.endpoint, config.region)

    if own[:count_tokens] == false do
      %{status: :skipped, url: url, reason: nil, latency_ms: nil, model_id: nil}
    else
      model_id = base_id(own[:model_id] || Aybiza.AWS.BedrockClient.settings().default_model)
      request = %{model_id: model_id, messages: [%{role: :user, content: [%{text: "ping"}]}]}
      started = System.monotonic_time()
      result = Aybiza.Bedrock.count_tokens(request, Keyword.put(client_opts, :api, :converse))
      ms = System.convert_time_unit(System.monotonic_time() - started, :native, :millisecond)

      case result do
        {:ok, _tokens} ->
          %{status: :ok, url: url, reason: nil, latency_ms: ms, model_id: model_id}

        {:error, %Error{reason: reason}} when reason in @reachable_errors ->
          %{status: :ok, url: url, reason: reason, latency_ms: ms, model_id: model_id}

        {:error, %Error{reason: reason}} ->
          %{status: :error, url: url, reason: reason, latency_ms: ms, model_id: model_id}
      end
    end
  end

  # CountTokens takes a base model id, not an inference profile.
  defp base_id(model_id) do
    case Aybiza.Bedrock.Catalog.get(model_id) do
      {:ok, %{base_model_id: base}} when is_binary(base) -> base
      _ -> model_id
    end
  end

  defp display_url(url, _region) when is_binary(url), do: url
  defp display_url(:emulator, _region), do: Aybiza.Bedrock.Emulator.shared().url
  defp display_url(_, region), do: "https://bedrock-runtime.#{region}.amazonaws.com"

  defp with_status(report) do
    status =
      cond do
        report.credentials != :ok or report.endpoint.status == :error -> :down
        Enum.any?(report.breakers, &(&1.state != :closed)) -> :degraded
        true -> :ok
      end

    Map.put(report, :status, status)
  end

  @doc "The report as lines of text (for `mix aybiza.check`); never prints a credential."
  @spec format(report()) :: String.t()
  def format(report) do
    endpoint = report.endpoint

    endpoint_line =
      case endpoint.status do
        :skipped ->
          "endpoint: not checked (#{endpoint.url})"

        :ok ->
          "endpoint: reachable #{endpoint.url} (CountTokens on #{endpoint.model_id} in #{endpoint.latency_ms} ms#{if endpoint.reason, do: ", answered #{endpoint.reason}"})"

        :error ->
          "endpoint: FAILED #{endpoint.url || "(no configuration)"}: #{endpoint.reason}"
      end

    credentials_line =
      case report.credentials do
        :ok ->
          "credentials: ok (#{report.credentials_type})"

        {:error, reason} ->
          "credentials: FAILED (#{report.credentials_type || "unresolved"}): #{reason}"
      end

    breaker_lines =
      case report.breakers do
        [] ->
          ["breakers: none yet"]

        breakers ->
          open = Enum.count(breakers, &(&1.state != :closed))

          ["breakers: #{length(breakers)} known, #{open} not closed"] ++
            for(b <- breakers, do: "  #{b.model_id} in #{b.region}: #{b.state}")
      end

    Enum.join(
      ["aybiza_bedrock health: #{report.status}", "region: #{report.region || "-"}"] ++
        [credentials_line, endpoint_line] ++
        breaker_lines ++ ["live streams: #{report.live_streams}"],
      "\n"
    )
  end
end
