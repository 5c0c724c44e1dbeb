defmodule Aybiza.ProbeSonicTermsTest do
  # Hostile terms in every option and argument of the Nova Sonic API: each call answers
  # :ok, `{:error, %Aybiza.Error{}}` or raises ArgumentError (a programmer mistake), never
  # another exception, a NIF panic or a crash, and no session is left running.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.Sonic

  @keys [:to, :model, :voice, :input_sample_rate, :output_sample_rate, :system_prompt, :history] ++
          [:tools, :run_tools, :tool_context, :inference, :endpointing_sensitivity] ++
          [:reconnect_after, :response_timeout, :input_queue, :close_timeout, :region] ++
          [:endpoint, :credentials, :timeouts, :tls_ca]

  defp weird do
    deep = Enum.reduce(1..100_000, "x", fn _, acc -> [acc] end)

    [deep, [1 | 2], 2 ** 200, <<0xFF>>, self(), make_ref(), fn -> 1 end, {:a, 1}] ++
      [%{a: deep}, :atom, -1, 1.0e308, [a: [1 | 2]], :binary.copy("a", 1_000_000)]
  end

  defp outcome(fun) do
    case fun.() do
      {:ok, s} when is_reference(s) ->
        Sonic.close(s)
        :ok

      :ok ->
        :ok

      {:error, %Aybiza.Error{}} ->
        :error
    end
  rescue
    ArgumentError -> :argument_error
    e -> {:raised, e.__struct__}
  end

  test "every option of start_session/1 with hostile terms" do
    base = [
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: {:static, "AKIDEXAMPLE", "secret"}
    ]

    bad =
      for key <- @keys,
          term <- weird(),
          o = outcome(fn -> Sonic.start_session([{key, term} | Keyword.delete(base, key)]) end),
          match?({:raised, _}, o),
          do: {key, o}

    assert bad == []

    assert Enum.find_value(1..250, fn _ ->
             Sonic.live_sessions() == 0 || (Process.sleep(20) && nil)
           end)
  end

  test "cost/2: overflowing prices and counts are an ArgumentError" do
    for {usage, prices} <- [
          {%{input_speech_tokens: 10}, %{speech_input: 1.0e308}},
          {%{input_speech_tokens: 10 ** 400}, %{speech_input: 1.5}},
          {%{input_speech_tokens: 5}, %{speech_input: [1 | 2]}}
        ] do
      assert_raise ArgumentError, fn -> Sonic.cost(usage, prices) end
    end

    assert Sonic.cost(%{input_speech_tokens: 1_000_000}, %{speech_input: 3.4}) == 3_400_000_000
  end
end
