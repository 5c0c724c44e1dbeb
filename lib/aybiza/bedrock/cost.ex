defmodule Aybiza.Bedrock.Cost do
  @moduledoc """
  Exact cost of a call, in integer nanodollars (no float anywhere), from Bedrock usage.

  - `input_tokens` are the uncached input tokens as Bedrock reports them; cache reads and
    cache writes are priced on their own lines (never double-counted).
  - Thinking tokens are billed as output; Bedrock already counts them in `output_tokens`, so
    `thinking_tokens` is a breakdown unless `thinking_billed_separately: true`.
  - Cache writes are priced by TTL. Bedrock's Converse usage says how the written tokens
    split (`cacheDetails: [%{"inputTokens" => n, "ttl" => "5m" | "1h"}]`, Claude models);
    pass it (`cacheDetails` or `cache_details`) and each entry is priced at its TTL's write
    rate, so a 1 hour or mixed write is exact. Its sum must equal
    `cache_write_input_tokens` when both are given (else `{:error, %Aybiza.Error{}}`: a
    usage whose counts disagree is not Bedrock's, and picking one would bill a number
    nobody reported), and it wins over `cache_write_ttl`. Without details,
    `cache_write_ttl: "5m"` (default) or `"1h"` prices the whole write.
  - The price follows the endpoint: geographic profiles and in-region ids of Claude Sonnet 4.5,
    Haiku 4.5 and Opus 4.5 cost 10% more than their `global.` profile.
  - Interrupted streams (no closing usage): pass `request_text` and `generated_text` (and
    `input_tokens` if known) and the missing counts are estimated; the cost is flagged
    `estimated: true`.

  `femtodollars` (1e-15 $) is the exact total; sum it to aggregate many calls without drift.
  """

  import Kernel, except: [to_string: 1]

  alias Aybiza.Native

  defstruct model_id: nil,
            base_model_id: nil,
            profile: nil,
            nanodollars: 0,
            femtodollars: 0,
            input: 0,
            output: 0,
            thinking: 0,
            cache_read: 0,
            cache_write: 0,
            billed_output_tokens: 0,
            price_percent: 100,
            estimated: false,
            display: "$0.000000",
            display_precise: "$0.000000000"

  @type t :: %__MODULE__{
          model_id: String.t() | nil,
          base_model_id: String.t() | nil,
          profile: String.t() | nil,
          nanodollars: non_neg_integer(),
          femtodollars: non_neg_integer(),
          input: non_neg_integer(),
          output: non_neg_integer(),
          thinking: non_neg_integer(),
          cache_read: non_neg_integer(),
          cache_write: non_neg_integer(),
          billed_output_tokens: non_neg_integer(),
          price_percent: pos_integer(),
          estimated: boolean(),
          display: String.t(),
          display_precise: String.t()
        }

  @typedoc """
  Usage as Bedrock reports it (snake_case or camelCase keys, atom or string keys):
  `input_tokens`, `output_tokens`, `cache_read_input_tokens`, `cache_write_input_tokens`,
  `cache_details` (at most 8 `%{input_tokens | inputTokens, ttl: "5m" | "1h"}`),
  `cache_write_ttl` (`"5m"` | `"1h"`), `thinking_tokens`, `thinking_billed_separately`,
  and for interrupted streams `request_text`, `generated_text`, `estimated`. A member of the
  wrong type (a count that is no non-negative integer, a text that is no string, a flag that is
  not `true`/`false`) is an `:invalid_request` error naming it; `nil` is absent.
  """
  @type usage :: map() | keyword()

  @doc "The cost of `usage` on `model_id` (any id form `Aybiza.Bedrock.Catalog.get/1` takes)."
  @spec calculate(String.t(), usage()) :: {:ok, t()} | {:error, Aybiza.Error.t()}
  def calculate(model_id, usage) when is_binary(model_id) and (is_map(usage) or is_list(usage)) do
    usage = Map.new(usage)

    # Keys other than atoms and strings (a tuple, a map) have no name to price by: an error,
    # not String.Chars' Protocol.UndefinedError.
    if Enum.all?(Map.keys(usage), &(is_atom(&1) or is_binary(&1))) do
      usage = Map.new(usage, fn {k, v} -> {Kernel.to_string(k), normalize(v)} end)

      case Native.cost_calculate(model_id, usage) do
        {:ok, map} -> {:ok, struct(__MODULE__, map)}
        {:error, native} -> {:error, Aybiza.Error.from_native(native)}
      end
    else
      {:error,
       Aybiza.Error.new(:invalid_request, "usage: keys must be atoms or strings",
         model_id: model_id
       )}
    end
  end

  @doc "Like `calculate/2` but raises `Aybiza.Error`."
  @spec calculate!(String.t(), usage()) :: t()
  def calculate!(model_id, usage) do
    case calculate(model_id, usage) do
      {:ok, cost} -> cost
      {:error, error} -> raise error
    end
  end

  @doc """
  Estimated cost of a stream that ended without usage (barge-in, hang-up, cancel): output
  tokens from `generated_text`, input tokens from `opts[:input_tokens]` when the stream
  reported them, else from `request_text`.
  """
  @spec estimate_interrupted(String.t(), String.t(), String.t(), keyword()) ::
          {:ok, t()} | {:error, Aybiza.Error.t()}
  def estimate_interrupted(model_id, request_text, generated_text, opts \\ []) do
    usage =
      %{request_text: request_text, generated_text: generated_text, estimated: true}
      |> maybe_put(:input_tokens, opts[:input_tokens])

    calculate(model_id, usage)
  end

  @doc "Sum of costs in nanodollars, from the exact femtodollar totals (rounded once)."
  @spec total_nanodollars([t()]) :: non_neg_integer()
  def total_nanodollars(costs) do
    femto = costs |> Enum.map(& &1.femtodollars) |> Enum.sum()
    div(femto + 500_000, 1_000_000)
  end

  @doc ~S"""
  Formats nanodollars as dollars, rounding half up (`decimals` 0..9, default 6).

      iex> Aybiza.Bedrock.Cost.format_nanodollars(1_234_000)
      "$0.001234"
  """
  @spec format_nanodollars(non_neg_integer(), 0..9) :: String.t()
  def format_nanodollars(nano, decimals \\ 6)
      when is_integer(nano) and nano >= 0 and decimals in 0..9 do
    unit = Integer.pow(10, 9 - decimals)
    scaled = div(nano + div(unit, 2), unit)

    if decimals == 0 do
      "$#{scaled}"
    else
      base = Integer.pow(10, decimals)
      frac = scaled |> rem(base) |> Integer.to_string() |> String.pad_leading(decimals, "0")
      "$#{div(scaled, base)}.#{frac}"
    end
  end

  @doc "The total as a dollar string (\"$0.001234\"), marked when estimated."
  @spec to_string(t()) :: String.t()
  def to_string(%__MODULE__{display: display, estimated: true}), do: display <> " (estimated)"
  def to_string(%__MODULE__{display: display}), do: display

  defp normalize(v) when is_atom(v) and not is_boolean(v) and not is_nil(v), do: Atom.to_string(v)
  defp normalize(v), do: v

  defp maybe_put(map, _key, nil), do: map
  defp maybe_put(map, key, value), do: Map.put(map, key, value)

  defimpl String.Chars do
    def to_string(cost), do: Aybiza.Bedrock.Cost.to_string(cost)
  end
end
