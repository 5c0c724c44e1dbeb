defmodule Aybiza.Bedrock.Cluster.Admission do
  @moduledoc """
  Quota-aware admission: a call to a `{model_id, region}` is sent only when this node's
  share of the account's quota (`Aybiza.Bedrock.Cluster.Quotas`) has room for it.

  ## Shares

  The account's limit (requests/min, tokens/min) times `:headroom` is divided by the number
  of nodes in the `:pg` group `#{inspect(:aybiza_admission)}` (recomputed on every join and
  leave, so on nodeup / nodedown), times the node's adaptive rate factor (below). Each node
  enforces its share with a local token bucket per `{model_id, region}`: one row of a
  public ETS table, refilled lazily from the time of the last change and updated with a
  compare-and-swap (`:ets.select_replace/2`), so admitting a call takes no process call
  and no lock. The bucket holds at most `:burst_ms` of the share (a burst never spends
  more than that ahead of the rate).

  ## A call over its share

  A call takes one request and `estimated input + max_tokens` tokens (Bedrock reserves
  `input + max_tokens` when a request starts). When the bucket lacks them, the call is
  admitted only if the bucket refills within `:max_wait_ms`: it takes the tokens at once
  (the bucket goes into debt, so later calls queue behind it in arrival order) and waits
  that long. Otherwise it is refused with `%Aybiza.Error{reason: :quota_share_exceeded}`,
  which the turn's policy treats like an open breaker: the next target of the fallback
  chain. Reserved tokens are settled with the reported usage when the call ends.

  ## Adaptive rate (AIMD)

  A ThrottlingException means the estimate of the shared quota was too high (other
  clients of the account, a lower quota than configured). The node halves its rate factor
  (multiplicative decrease, at most once per `:decrease_interval_ms`, never below
  `:min_rate_factor`), drains its burst, and tells the other nodes, which do the same. The
  factor then grows back by `:increase_per_s` per second up to 1 (additive increase), the
  shape of the AWS SDKs' adaptive retry mode (a client-side rate limiter that backs off on
  throttling and recovers over time).

  ## Options

  `config :aybiza_bedrock, :admission, [...]`, overridden per call with the client's
  `admission:` option (`false` turns admission off for a call):

    * `:enabled` - default `true` (nothing is limited for models without a quota).
    * `:max_wait_ms` - longest wait for room (default 50: a voice turn cannot wait long).
    * `:headroom` - share of the quota used (default 1.0).
    * `:burst_ms` - bucket size, in ms of the share (default 6_000).
    * `:min_rate_factor` (0.1), `:increase_per_s` (0.05), `:decrease_interval_ms` (1_000).
    * `:count_tokens` - `true` to count the input tokens exactly with Bedrock's CountTokens
      (`Aybiza.Bedrock.count_tokens/2`, no charge) before admitting a model that has a
      token quota; costs one round trip to Bedrock per attempt, so off by default (the
      estimate is about one token per 4 bytes of text). A count that fails (a model
      CountTokens does not serve) falls back to the estimate.
    * `:clock` - `Aybiza.Bedrock.Clock` (default `:system`).

  ## Telemetry

  `[:aybiza_bedrock, :admission, :admit]` (`wait_ms`), `[:aybiza_bedrock, :admission,
  :reject]` (`wait_ms`: the wait it would have needed), `[:aybiza_bedrock, :admission,
  :rate_decrease]` (`factor`); metadata `model_id`, `region` (and `origin`, the node that
  saw the throttle, for `:rate_decrease`).
  """

  alias Aybiza.Bedrock.{Clock, Cluster, Telemetry}
  alias Aybiza.Bedrock.Cluster.Quotas
  alias Aybiza.Error

  @table :aybiza_bedrock_admission
  @group :aybiza_admission

  @defaults [
    enabled: true,
    max_wait_ms: 50,
    headroom: 1.0,
    burst_ms: 6_000,
    min_rate_factor: 0.1,
    increase_per_s: 0.05,
    decrease_interval_ms: 1_000,
    count_tokens: false,
    clock: :system
  ]

  @typedoc "What an admitted call holds until it is settled."
  @type reservation ::
          %{key: {String.t(), String.t()}, tokens: number(), wait_ms: non_neg_integer()} | nil

  @doc false
  def table, do: @table
  @doc false
  def group, do: @group

  @doc "The default options."
  @spec defaults() :: keyword()
  def defaults, do: @defaults

  @doc "Validated options: defaults, the application environment, then `opts`."
  @spec options!(keyword() | nil) :: map()
  def options!(opts \\ []) do
    app = Application.get_env(:aybiza_bedrock, :admission, [])

    merged =
      @defaults
      |> Keyword.merge(app)
      |> Keyword.merge(opts || [])
      |> Keyword.validate!(@defaults)

    check = fn key, ok? ->
      unless ok?.(merged[key]),
        do:
          raise(
            ArgumentError,
            "admission option #{inspect(key)} is invalid: #{inspect(merged[key])}"
          )
    end

    check.(:enabled, &is_boolean/1)
    check.(:max_wait_ms, &(is_integer(&1) and &1 >= 0))
    check.(:headroom, &(is_number(&1) and &1 > 0 and &1 <= 1))
    check.(:burst_ms, &(is_integer(&1) and &1 > 0))
    check.(:min_rate_factor, &(is_number(&1) and &1 > 0 and &1 <= 1))
    check.(:increase_per_s, &(is_number(&1) and &1 >= 0))
    check.(:decrease_interval_ms, &(is_integer(&1) and &1 >= 0))
    check.(:count_tokens, &is_boolean/1)

    merged |> Keyword.update!(:clock, &Clock.validate!(&1, :clock)) |> Map.new()
  end

  @doc """
  Admits a call of about `tokens` tokens (input estimate + max_tokens) to `model_id` in
  `region`, waiting up to `:max_wait_ms`. `{:ok, nil}` when the target has no quota.
  """
  @spec admit(String.t(), String.t(), non_neg_integer(), keyword() | map()) ::
          {:ok, reservation()} | {:error, Error.t()}
  def admit(model_id, region, tokens, opts \\ [])

  def admit(model_id, region, tokens, %{} = cfg) do
    key = {model_id, region}

    with true <- cfg.enabled, %{} = limits <- Quotas.get(model_id, region) do
      take(key, limits, tokens, cfg)
    else
      _ -> {:ok, nil}
    end
  end

  def admit(model_id, region, tokens, opts), do: admit(model_id, region, tokens, options!(opts))

  defp take(key, limits, tokens, cfg) do
    now = Clock.now_ms(cfg.clock)
    rates = rates(key, limits, now, cfg)
    {req, tok, version} = levels(key, rates, now)
    need_req = if rates.req, do: 1.0, else: 0.0
    need_tok = if rates.tok, do: min(tokens * 1.0, rates.tok_cap), else: 0.0
    new_req = req - need_req
    new_tok = tok - need_tok
    wait = max(debt_ms(new_req, rates.req), debt_ms(new_tok, rates.tok))

    cond do
      wait > cfg.max_wait_ms ->
        emit(:reject, key, %{wait_ms: wait})

        {:error,
         %{
           Error.new(
             :quota_share_exceeded,
             "this node's share of the quota of #{elem(key, 0)} in #{elem(key, 1)} has no room " <>
               "within #{cfg.max_wait_ms} ms (it would need #{wait} ms)",
             model_id: elem(key, 0),
             region: elem(key, 1)
           )
           | retryable?: true
         }}

      compare_and_swap(key, version, {new_req, new_tok, now}) ->
        if wait > 0, do: Process.sleep(wait)
        emit(:admit, key, %{wait_ms: wait})
        {:ok, %{key: key, tokens: need_tok, wait_ms: wait}}

      true ->
        take(key, limits, tokens, cfg)
    end
  end

  defp debt_ms(level, _rate) when level >= 0, do: 0
  defp debt_ms(_level, nil), do: 0
  defp debt_ms(level, rate), do: ceil(-level / rate)

  @doc """
  Settles an admitted call: gives back the reserved tokens not used (`used` = input +
  output tokens reported), or takes the extra ones when the estimate was low.
  """
  @spec settle(reservation(), non_neg_integer(), keyword()) :: :ok
  def settle(reservation, used, opts \\ [])
  def settle(nil, _used, _opts), do: :ok

  def settle(%{key: key, tokens: reserved}, used, opts) when is_number(used) do
    adjust(key, fn req, tok -> {req, tok + reserved - used} end, options!(opts))
  end

  @doc """
  Lowers this node's rate for `model_id` in `region` after a ThrottlingException and tells
  the other nodes (see "Adaptive rate").
  """
  @spec throttled(String.t(), String.t(), keyword()) :: :ok
  def throttled(model_id, region, opts \\ []) do
    key = {model_id, region}

    if decrease(key, node(), options!(opts)) do
      message = {:aybiza_throttled, node(), key}
      for pid <- remote_members(), do: send(pid, message)
    end

    :ok
  end

  @doc false
  # A peer was throttled on `key`.
  @spec apply_remote_throttle({String.t(), String.t()}, node()) :: :ok
  def apply_remote_throttle({model_id, region} = key, origin)
      when is_binary(model_id) and is_binary(region) do
    decrease(key, origin, options!([]))
    :ok
  end

  def apply_remote_throttle(_key, _origin), do: :ok

  # Multiplicative decrease, once per interval; drains the burst. true when it decreased.
  defp decrease(key, origin, cfg) do
    now = Clock.now_ms(cfg.clock)
    {base, changed, last_decrease} = factor_row(key)
    current = current_factor(base, changed, now, cfg)

    if is_nil(last_decrease) or now - last_decrease >= cfg.decrease_interval_ms do
      factor = max(cfg.min_rate_factor, current / 2)
      :ets.insert(@table, {{:factor, key}, factor, now, now})
      adjust(key, fn req, tok -> {min(req, 0.0), min(tok, 0.0)} end, cfg)
      emit(:rate_decrease, key, %{factor: factor}, %{origin: origin})
      true
    else
      false
    end
  rescue
    ArgumentError -> false
  end

  @doc "The rate factor of `model_id` in `region` now (1.0 = the full share)."
  @spec rate_factor(String.t(), String.t(), keyword()) :: float()
  def rate_factor(model_id, region, opts \\ []) do
    cfg = options!(opts)
    {base, changed, _} = factor_row({model_id, region})
    current_factor(base, changed, Clock.now_ms(cfg.clock), cfg)
  end

  defp factor_row(key) do
    case :ets.lookup(@table, {:factor, key}) do
      [{_, base, changed, last}] -> {base, changed, last}
      [] -> {1.0, nil, nil}
    end
  rescue
    ArgumentError -> {1.0, nil, nil}
  end

  defp current_factor(base, nil, _now, _cfg), do: base

  defp current_factor(base, changed, now, cfg),
    do: min(1.0, base + max(now - changed, 0) / 1000 * cfg.increase_per_s)

  @doc "Forgets the bucket and rate factor of `model_id` in `region` on this node (full again)."
  @spec reset(String.t(), String.t()) :: :ok
  def reset(model_id, region) do
    :ets.delete(@table, {:bucket, {model_id, region}})
    :ets.delete(@table, {:factor, {model_id, region}})
    :ok
  rescue
    ArgumentError -> :ok
  end

  @doc "The number of nodes sharing the quotas (1 when alone)."
  @spec members() :: pos_integer()
  def members do
    case :ets.lookup(@table, :members) do
      [{:members, n}] -> n
      [] -> 1
    end
  rescue
    ArgumentError -> 1
  end

  @doc false
  @spec put_members(pos_integer()) :: true
  def put_members(n) when is_integer(n) and n > 0, do: :ets.insert(@table, {:members, n})

  @doc """
  This node's share of `model_id` in `region` now: `%{requests_per_minute:,
  tokens_per_minute:}` (floats, `nil` when not limited), or `nil` when the target has no
  quota.
  """
  @spec share(String.t(), String.t(), keyword()) :: map() | nil
  def share(model_id, region, opts \\ []) do
    cfg = options!(opts)

    case Quotas.get(model_id, region) do
      nil ->
        nil

      limits ->
        rates = rates({model_id, region}, limits, Clock.now_ms(cfg.clock), cfg)

        %{
          requests_per_minute: rates.req && rates.req * 60_000,
          tokens_per_minute: rates.tok && rates.tok * 60_000
        }
    end
  end

  @doc "The buckets of this node: `%{{model_id, region} => %{requests:, tokens:, share:, factor:}}`."
  @spec info() :: map()
  def info do
    rows = :ets.tab2list(@table)

    for {{:bucket, {model_id, region} = key}, req, tok, _at, _v} <- rows, into: %{} do
      {key,
       %{
         requests: req,
         tokens: tok,
         share: share(model_id, region),
         factor: rate_factor(model_id, region),
         members: members()
       }}
    end
  rescue
    ArgumentError -> %{}
  end

  # Per-ms rates and bucket capacities of this node's share.
  defp rates(key, limits, now, cfg) do
    {base, changed, _} = factor_row(key)
    scale = cfg.headroom * current_factor(base, changed, now, cfg) / members() / 60_000
    req = limits.requests_per_minute && limits.requests_per_minute * scale
    tok = limits.tokens_per_minute && limits.tokens_per_minute * scale

    %{
      req: req,
      tok: tok,
      # At least one request fits, whatever the share.
      req_cap: if(req, do: max(req * cfg.burst_ms, 1.0), else: 0.0),
      tok_cap: if(tok, do: tok * cfg.burst_ms, else: 0.0)
    }
  end

  # The refilled levels and the row version (a new bucket starts full).
  defp levels(key, rates, now) do
    case :ets.lookup(@table, {:bucket, key}) do
      [{_, req, tok, at, version}] ->
        elapsed = max(now - at, 0)

        {refill(req, elapsed, rates.req, rates.req_cap),
         refill(tok, elapsed, rates.tok, rates.tok_cap), version}

      [] ->
        :ets.insert_new(@table, {{:bucket, key}, rates.req_cap, rates.tok_cap, now, 0})
        levels(key, rates, now)
    end
  end

  defp refill(level, _elapsed, nil, _cap), do: level
  defp refill(level, elapsed, rate, cap), do: min(cap, level + elapsed * rate)

  defp compare_and_swap(key, version, {req, tok, at}) do
    row = {{:bucket, key}, req, tok, at, version + 1}
    spec = [{{{:bucket, key}, :_, :_, :_, version}, [], [{:const, row}]}]
    :ets.select_replace(@table, spec) == 1
  end

  # Changes the levels of an existing bucket (after refilling them to now).
  defp adjust(key, fun, cfg) do
    case Quotas.get(elem(key, 0), elem(key, 1)) do
      nil ->
        :ok

      limits ->
        now = Clock.now_ms(cfg.clock)
        rates = rates(key, limits, now, cfg)
        {req, tok, version} = levels(key, rates, now)
        {new_req, new_tok} = fun.(req, tok)
        new = {min(new_req, rates.req_cap), min(new_tok, rates.tok_cap), now}

        if compare_and_swap(key, version, new), do: :ok, else: adjust(key, fun, cfg)
    end
  rescue
    ArgumentError -> :ok
  end

  defp remote_members do
    for pid <- :pg.get_members(Cluster.scope(), @group), node(pid) != node(), do: pid
  rescue
    ArgumentError -> []
  end

  defp emit(event, {model_id, region}, measurements, extra \\ %{}) do
    Telemetry.execute(
      [:aybiza_bedrock, :admission, event],
      measurements,
      Map.merge(%{model_id: model_id, region: region}, extra)
    )
  end

  ## The turn's hook

  @doc """
  Puts admission in front of a backend: `{backend, backend_opts}` becomes the
  `Aybiza.Bedrock.Cluster.Admission.Backend` around it, unless `admission` is `false` or
  admission is disabled. `admission` is the client's `admission:` option (a keyword list
  of the options above, `nil` for the configured ones).
  """
  @spec guard({module(), keyword()}, keyword() | boolean() | nil) :: {module(), keyword()}
  def guard({backend, backend_opts}, admission) do
    opts = if is_list(admission), do: admission, else: []

    if admission == false or not options!(opts).enabled,
      do: {backend, backend_opts},
      else: {__MODULE__.Backend, [admission_backend: {backend, backend_opts}, admission: opts]}
  end

  @doc false
  # Local telemetry handler (attached by Members): settles reservations and reports
  # throttles. Runs in the relay process, which holds the reservation of its attempt.
  def handle_event([:aybiza_bedrock, :stream, :stop], measurements, _meta, _config) do
    used = (measurements[:input_tokens] || 0) + (measurements[:output_tokens] || 0)
    settle_pending(fn _res -> used end)
  end

  def handle_event(_event, _measurements, meta, _config) do
    pending = Process.get({__MODULE__.Backend, :pending})

    if meta[:reason] == :throttled and pending,
      do: throttled(elem(pending.key, 0), elem(pending.key, 1))

    # A failed attempt: Bedrock counted its input at most; the output reservation returns.
    settle_pending(fn res -> max(res.tokens - (res[:max_tokens] || 0), 0) end)
  end

  defp settle_pending(used_fun) do
    case Process.delete({__MODULE__.Backend, :pending}) do
      %{} = res -> settle(res, used_fun.(res))
      nil -> :ok
    end
  end
end

defmodule Aybiza.Bedrock.Cluster.Admission.Backend do
  @moduledoc """
  The backend a turn uses when admission is on (`Aybiza.Bedrock.Cluster.Admission.guard/2`):
  admits the attempt against this node's share, then calls the real backend. A refusal is
  the synchronous error `%Aybiza.Error{reason: :quota_share_exceeded}`.
  """
  @behaviour Aybiza.Bedrock.Backend

  alias Aybiza.Bedrock.Cluster.Admission

  @impl true
  def stream(request, opts) do
    {{inner, inner_opts}, opts} = Keyword.pop!(opts, :admission_backend)
    {admission, opts} = Keyword.pop(opts, :admission, [])
    opts = Keyword.merge(opts, inner_opts)

    with {:ok, reservation} <- admit(request, opts, admission) do
      case inner.stream(request, opts) do
        {:ok, ref} ->
          if reservation, do: Process.put({__MODULE__, :pending}, reservation)
          Process.put({__MODULE__, :backend, ref}, inner)
          {:ok, ref}

        error ->
          Admission.settle(reservation, 0)
          error
      end
    end
  end

  @impl true
  def converse(request, opts) do
    {{inner, inner_opts}, opts} = Keyword.pop!(opts, :admission_backend)
    {admission, opts} = Keyword.pop(opts, :admission, [])
    opts = Keyword.merge(opts, inner_opts)

    with {:ok, reservation} <- admit(request, opts, admission) do
      result = inner.converse(request, opts)

      used =
        case result do
          {:ok, %{usage: %{} = usage}} ->
            (usage[:input_tokens] || 0) + (usage[:output_tokens] || 0)

          _ ->
            0
        end

      Admission.settle(reservation, used)
      result
    end
  end

  @impl true
  def cancel(ref) do
    backend = Process.get({__MODULE__, :backend, ref}, Aybiza.Bedrock.Backend.Native)
    backend.cancel(ref)
  end

  defp admit(%{model_id: model_id} = request, opts, admission)
       when is_binary(model_id) do
    cfg = Admission.options!(admission)
    region = opts[:region] || "us-east-1"
    max_tokens = get_in(request, [:inference_config, :max_tokens]) || 0
    input = input_tokens(request, opts, cfg, model_id, region)

    case Admission.admit(model_id, region, input + max_tokens, cfg) do
      {:ok, nil} -> {:ok, nil}
      {:ok, res} -> {:ok, Map.put(res, :max_tokens, max_tokens)}
      error -> error
    end
  end

  defp admit(_request, _opts, _admission), do: {:ok, nil}

  # CountTokens only where it is enabled and the target has a token quota to charge.
  defp input_tokens(request, opts, %{count_tokens: true, enabled: true}, model_id, region) do
    with %{tokens_per_minute: tpm} when is_integer(tpm) <-
           Aybiza.Bedrock.Cluster.Quotas.get(model_id, region),
         {:ok, n} <- count_tokens(request, opts) do
      n
    else
      _ -> estimate_input_tokens(request)
    end
  end

  defp input_tokens(request, _opts, _cfg, _model_id, _region), do: estimate_input_tokens(request)

  # The client options of the call, without the stream's own (receiver, sentences).
  defp count_tokens(request, opts) do
    Aybiza.Bedrock.count_tokens(
      Map.take(request, [:model_id, :system, :messages, :tool_config]),
      Keyword.drop(opts, [:to, :sentences, :operation, :telemetry])
    )
  rescue
    ArgumentError -> :error
  end

  @budget 20_000

  @doc """
  Estimated input tokens of a request: about one token per 4 bytes of its text (system,
  messages, tools), walked with a bound on the number of terms visited (an image counts
  by its size, an over-estimate; the call is settled with the real usage).
  """
  @spec estimate_input_tokens(map()) :: non_neg_integer()
  def estimate_input_tokens(request) do
    parts = [request[:system], request[:messages], request[:tool_config]]
    {bytes, _budget} = walk(parts, 0, @budget)
    div(bytes, 4) + 1
  end

  defp walk(_term, bytes, budget) when budget <= 0, do: {bytes, 0}
  defp walk(bin, bytes, budget) when is_binary(bin), do: {bytes + byte_size(bin), budget - 1}

  defp walk([head | tail], bytes, budget) do
    {bytes, budget} = walk(head, bytes, budget - 1)
    walk(tail, bytes, budget)
  end

  defp walk(%{} = map, bytes, budget) when not is_struct(map),
    do: walk(Map.values(map), bytes, budget - 1)

  defp walk(_other, bytes, budget), do: {bytes, budget - 1}
end
