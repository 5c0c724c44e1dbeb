defmodule Aybiza.ProbeCostTest do
  # Red-team probe of `Aybiza.Bedrock.Cost.calculate/2` with usage a model, a server or a
  # caller controls (stop 18 added `cache_details`): integers past 64 bits, negative, floats,
  # strings, nested terms, keys that are not names, a million details. Each gives a cost or an
  # `{:error, %Aybiza.Error{reason: :invalid_request}}`; none raises or bills a guess.
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Cost

  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"
  @max 18_446_744_073_709_551_615

  defp invalid(usage) do
    assert {:error, %Aybiza.Error{reason: :invalid_request} = e} = Cost.calculate(@haiku, usage)
    e.message
  end

  test "token counts that are not non-negative 64-bit integers are refused" do
    for bad <- [@max + 1, -1, 1.5, 1.0e300, "12", %{a: 1}, [1], {1}, :nan] do
      assert invalid(%{input_tokens: bad}) =~ "input_tokens", inspect(bad)
    end
  end

  test "the largest counts price without overflow, every line included" do
    usage = %{
      input_tokens: @max,
      output_tokens: @max,
      cache_read_input_tokens: @max,
      cache_write_input_tokens: @max,
      thinking_tokens: @max
    }

    # (`thinking` is the part of `output` that was thinking, not a line of its own.)
    assert {:ok, c} = Cost.calculate(@haiku, usage)
    assert c.nanodollars == c.input + c.output + c.cache_read + c.cache_write
    assert c.billed_output_tokens == @max

    # Billed separately, output and thinking add up past 64 bits: refused, where it billed
    # the saturated sum (half the tokens reported).
    assert invalid(Map.put(usage, :thinking_billed_separately, true)) =~ "overflow"

    assert {:ok, c} =
             Cost.calculate(@haiku, %{
               output_tokens: @max - 5,
               thinking_tokens: 5,
               thinking_billed_separately: true
             })

    assert c.billed_output_tokens == @max
  end

  test "hostile cache_details: overflow, too many, wrong shapes are errors" do
    assert invalid(%{
             cache_details: [%{input_tokens: @max, ttl: "1h"}, %{input_tokens: 1, ttl: "5m"}]
           }) =~
             "overflow"

    assert invalid(%{cache_details: %{input_tokens: 5, ttl: "1h"}}) =~ "must be a list"

    assert invalid(%{cache_details: List.duplicate(%{input_tokens: 1, ttl: "1h"}, 9)}) =~
             "at most 8"

    assert invalid(%{cache_details: List.duplicate(%{input_tokens: 1, ttl: "1h"}, 1_000_000)}) =~
             "cache_details"

    assert invalid(%{cache_details: [%{input_tokens: 1, ttl: "24h"}]}) =~ "ttl"

    assert invalid(%{
             cache_details: [%{input_tokens: 5, ttl: "1h"}],
             cache_write_input_tokens: 6
           }) =~ "sum to 5"

    # The largest consistent write is priced (at the 1 hour rate).
    assert {:ok, c} =
             Cost.calculate(@haiku, %{
               cache_details: [%{input_tokens: @max, ttl: "1h"}],
               cache_write_input_tokens: @max
             })

    assert c.cache_write == c.nanodollars
  end

  test "texts and flags of the wrong type are refused, not priced as if absent" do
    for {key, bad} <- [
          request_text: 5,
          generated_text: ["hi"],
          cache_write_ttl: 5,
          estimated: "yes",
          thinking_billed_separately: "true",
          estimated: 1
        ] do
      assert invalid(%{:input_tokens => 10, :output_tokens => 5, key => bad}) =~ "#{key}",
             inspect({key, bad})
    end

    # The right types still price, and nil is absent.
    assert {:ok, %Cost{estimated: true}} =
             Cost.calculate(@haiku, %{input_tokens: 10, generated_text: "Hi.", estimated: true})

    assert {:ok, %Cost{estimated: false}} =
             Cost.calculate(@haiku, %{input_tokens: 10, output_tokens: 2, estimated: nil})
  end

  test "usage keys that are neither atoms nor strings are an error, not a raise" do
    assert invalid(%{{:a} => 1}) =~ "keys"
    assert invalid(%{%{} => 1, input_tokens: 5}) =~ "keys"
    assert invalid([{[1], 2}]) =~ "keys"
  end
end
