defmodule Aybiza.Bedrock.Turn.Accounting do
  @moduledoc """
  What a turn costs: one entry per attempt (Bedrock bills failed, recovered and cancelled
  attempts for what they read and generated), summed into the turn's `:cost`.

  An entry is `%{attempt: n, round: r, model_id: m, region: g, outcome: :ok | reason,
  usage: map | nil, cost: cost_map | nil}` where `cost_map` is the engine's cost map
  (`:nanodollars`, `:display`, `:estimated?`, ...). An attempt refused before the stream
  (throttling, an open breaker) generated nothing and has `cost: nil`; an attempt cut off
  mid-stream or cancelled carries the engine's or this module's estimate
  (`estimated?: true`): output tokens from the generated text, input tokens from the
  request's text.
  """

  alias Aybiza.Bedrock.Cost
  import Aybiza.Bedrock.Thinking, only: [get: 3]

  @type cost_map :: %{
          required(:nanodollars) => non_neg_integer(),
          required(:display) => String.t(),
          required(:estimated?) => boolean(),
          optional(atom()) => term()
        }

  @type entry :: %{
          attempt: pos_integer(),
          model_id: String.t(),
          region: String.t(),
          outcome: :ok | atom(),
          usage: map() | nil,
          cost: cost_map() | nil
        }

  @doc "The entry of an attempt that ended with `{:done, summary}`."
  @spec done(pos_integer(), String.t(), String.t(), map()) :: entry()
  def done(attempt, model_id, region, summary) do
    %{
      attempt: attempt,
      model_id: model_id,
      region: region,
      outcome: :ok,
      usage: Map.get(summary, :usage),
      cost: cost_map(Map.get(summary, :cost))
    }
  end

  @doc """
  The entry of an attempt that failed with `error`: the engine puts the estimated cost and
  usage of a stream that failed after output began in `error.delivered`.
  """
  @spec failed(pos_integer(), String.t(), String.t(), Aybiza.Error.t(), map() | nil) :: entry()
  def failed(attempt, model_id, region, error, request \\ nil) do
    delivered = if is_map(error.delivered), do: error.delivered, else: %{}
    cost = cost_map(Map.get(delivered, :cost))

    # Bedrock sent no usage for a cut-off stream: estimated like its cost, so the monitor's
    # token counts include the attempt too.
    usage =
      case Map.get(delivered, :usage) do
        %{} = usage ->
          usage

        _ when cost != nil ->
          %{
            input_tokens: estimate_tokens(request_text(request)),
            output_tokens: estimate_tokens(Map.get(delivered, :text) || ""),
            estimated?: true
          }

        _ ->
          nil
      end

    %{
      attempt: attempt,
      model_id: model_id,
      region: region,
      outcome: error.reason,
      usage: usage,
      cost: cost
    }
  end

  @doc """
  The entry of an attempt cancelled while it ran: its cost estimated from `request` and the
  text generated so far (`nil` cost when the model is unknown to the catalog).
  """
  @spec cancelled(pos_integer(), String.t(), String.t(), map() | nil, String.t()) :: entry()
  def cancelled(attempt, model_id, region, request, generated_text) do
    cost =
      case Cost.estimate_interrupted(model_id, request_text(request), generated_text || "") do
        {:ok, %Cost{} = cost} -> from_cost(cost)
        {:error, _} -> nil
      end

    usage =
      if cost,
        do: %{
          input_tokens: estimate_tokens(request_text(request)),
          output_tokens: estimate_tokens(generated_text || ""),
          estimated?: true
        }

    %{
      attempt: attempt,
      model_id: model_id,
      region: region,
      outcome: :cancelled,
      usage: usage,
      cost: cost
    }
  end

  @doc "The sum of the entries' costs as a cost map (`estimated?` when any part is)."
  @spec total([entry()]) :: cost_map()
  def total(entries) do
    costs = for %{cost: %{} = cost} <- entries, do: cost
    nano = costs |> Enum.map(&(&1[:nanodollars] || 0)) |> Enum.sum()

    sum = fn key -> costs |> Enum.map(&(&1[key] || 0)) |> Enum.sum() end

    %{
      nanodollars: nano,
      input: sum.(:input),
      output: sum.(:output),
      thinking: sum.(:thinking),
      cache_read: sum.(:cache_read),
      cache_write: sum.(:cache_write),
      estimated?: Enum.any?(costs, &(&1[:estimated?] == true)),
      display: Cost.format_nanodollars(nano)
    }
  end

  @doc "Nanodollars of a cost map (0 for none)."
  @spec nanodollars(cost_map() | nil) :: non_neg_integer()
  def nanodollars(%{nanodollars: n}) when is_integer(n), do: n
  def nanodollars(_), do: 0

  @doc "Input and output tokens of the entries, summed."
  @spec tokens([entry()]) :: {non_neg_integer(), non_neg_integer()}
  def tokens(entries) do
    Enum.reduce(entries, {0, 0}, fn entry, {input, output} ->
      usage = entry.usage || %{}
      {input + int(usage[:input_tokens]), output + int(usage[:output_tokens])}
    end)
  end

  @doc """
  The text a request sends (system, messages, tool specs), for estimates. Bounded by what
  the request holds; images and documents count as nothing here.
  """
  @spec request_text(map() | nil) :: String.t()
  def request_text(nil), do: ""

  def request_text(request) when is_map(request) do
    system = request |> get(:system, []) |> List.wrap() |> Enum.map(&block_text/1)

    messages =
      for message <- List.wrap(get(request, :messages, [])),
          is_map(message),
          block <- List.wrap(get(message, :content, [])),
          do: block_text(block)

    tools =
      case get(request, :tool_config, nil) do
        %{} = config ->
          for tool <- List.wrap(get(config, :tools, [])), do: inspect(tool, limit: :infinity)

        _ ->
          []
      end

    (system ++ messages ++ tools) |> Enum.reject(&(&1 == "")) |> Enum.join("\n")
  end

  defp block_text(text) when is_binary(text), do: text

  defp block_text(block) when is_map(block) do
    cond do
      is_binary(text = get(block, :text, nil)) -> text
      is_map(use = get(block, :tool_use, nil)) -> inspect(get(use, :input, %{}))
      is_map(result = get(block, :tool_result, nil)) -> inspect(get(result, :content, []))
      true -> ""
    end
  end

  defp block_text(_), do: ""

  defp estimate_tokens(text), do: div(String.length(text) + 3, 4)

  defp from_cost(%Cost{} = cost) do
    %{
      nanodollars: cost.nanodollars,
      input: cost.input,
      output: cost.output,
      thinking: cost.thinking,
      cache_read: cost.cache_read,
      cache_write: cost.cache_write,
      estimated?: cost.estimated,
      display: cost.display
    }
  end

  defp cost_map(%Cost{} = cost), do: from_cost(cost)
  defp cost_map(%{nanodollars: n} = cost) when is_integer(n), do: cost
  defp cost_map(_), do: nil

  defp int(n) when is_integer(n) and n >= 0, do: n
  defp int(_), do: 0
end
