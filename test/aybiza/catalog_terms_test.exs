defmodule Aybiza.CatalogTermsTest do
  # The catalog, cost and routing NIFs read caller terms with the one iterative converter of
  # term_value.rs (options dialect: tuples as arrays, keyword lists as objects). These call
  # the NIFs directly, so what is checked is the converter, not the Elixir wrappers'
  # normalisation in front of it.
  use ExUnit.Case, async: true

  alias Aybiza.Native

  @model "anthropic.claude-haiku-4-5-20251001-v1:0"

  defp nested_list(depth), do: Enum.reduce(1..depth, "x", fn _, acc -> [acc] end)
  defp nested_map(depth), do: Enum.reduce(1..depth, 1, fn _, acc -> %{"a" => acc} end)

  # Overrides are catalog data: their errors are :invalid_config, the rest :invalid_request.
  defp invalid_message({:error, {:aybiza_error, reason, %{message: message}}})
       when reason in [:invalid_request, :invalid_config],
       do: message

  defp invalid_message(other), do: flunk("expected an error, got: #{inspect(other)}")

  test "keyword lists read as objects, the first value of a repeated key wins" do
    assert {:ok, %{input: from_map}} =
             Native.cost_calculate(@model, %{"input_tokens" => 1000, "output_tokens" => 10})

    assert {:ok, %{input: ^from_map}} =
             Native.cost_calculate(@model, input_tokens: 1000, output_tokens: 10)

    assert {:ok, %{input: ^from_map}} =
             Native.cost_calculate(@model,
               input_tokens: 1000,
               output_tokens: 10,
               input_tokens: 5
             )
  end

  test "routing options as a keyword list or a map, excluded pairs as tuples or lists" do
    {:ok, %{model_id: picked, region: region}} =
      Native.select_model_and_region(0.1, 5000, [:tools], %{})

    for options <- [
          %{excluded: [{picked, region}]},
          [excluded: [{picked, region}]],
          %{"excluded" => [[picked, region]]}
        ] do
      assert {:ok, %{model_id: m, region: r}} =
               Native.select_model_and_region(0.1, 5000, [:tools], options)

      refute {m, r} == {picked, region}, inspect(options)
    end

    assert {:ok, %{model_id: ^picked}} =
             Native.select_model_and_region(0.1, 5000, [tools: true, tools: false], [])
  end

  test "100,000 levels in any argument are an error naming max_depth" do
    for deep <- [nested_map(100_000), nested_list(100_000)] do
      for result <- [
            Native.cost_calculate(@model, %{"input_tokens" => deep}),
            Native.select_model_and_region(0.5, 1000, %{"tools" => deep}, %{}),
            Native.select_model_and_region(0.5, 1000, [], %{"country" => deep}),
            Native.select_model_and_region(0.5, 1000, [], %{"excluded" => [{"m", deep}]}),
            Native.catalog_put_overrides(%{"models" => deep})
          ] do
        message = invalid_message(result)
        assert message =~ "max_depth", message
      end
    end

    # 20-63 levels once overflowed a dirty scheduler's stack in the old recursive converter;
    # within the limit they convert and fail (or pass) on their meaning only.
    assert {:error, {:aybiza_error, :invalid_request, %{message: m}}} =
             Native.cost_calculate(@model, %{"input_tokens" => nested_map(60)})

    assert m =~ "input_tokens must be a non-negative integer"
  end

  test "improper lists, invalid UTF-8, bignums and pids are errors, never a panic" do
    cases = [
      {fn t -> Native.select_model_and_region(0.5, 1000, [], %{"excluded" => t}) end,
       [{"m", "us-east-1"} | :tail], "improper list"},
      {fn t -> Native.select_model_and_region(0.5, 1000, t, %{}) end, [:tools | :vision],
       "improper list"},
      {fn t -> Native.cost_calculate(@model, %{"request_text" => t}) end, <<0xFF, 0xFE>>,
       "not valid UTF-8"},
      {fn t -> Native.cost_calculate(@model, %{"input_tokens" => t}) end, 2 ** 70,
       "beyond 64 bits"},
      {fn t -> Native.catalog_put_overrides(%{"models" => t}) end, self(), "a pid"},
      {fn t -> Native.cost_calculate(@model, %{t => 1}) end, <<0xFF>>, "not valid UTF-8"}
    ]

    for {call, term, expected} <- cases do
      message = invalid_message(call.(term))
      assert message =~ expected, "#{inspect(term)}: #{message}"
    end
  end
end
