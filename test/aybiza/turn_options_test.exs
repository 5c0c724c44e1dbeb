defmodule Aybiza.TurnOptionsTest do
  # Bad input to the voice turn: every option checked before any network, with a clear error.
  use ExUnit.Case, async: true

  alias Aybiza.AWS.BedrockClient

  defmodule NoNetwork do
    @moduledoc false
    # A backend that reports any call: none may happen for bad input.
    @behaviour Aybiza.Bedrock.Backend
    @impl true
    def stream(_request, opts), do: send(opts[:test], :network) && {:ok, make_ref()}
    @impl true
    def converse(_request, opts), do: send(opts[:test], :network) && {:error, :unexpected}
    @impl true
    def cancel(_ref), do: :ok
  end

  defp opts(extra) do
    [
      backend: {NoNetwork, [test: self()]},
      model_id: "anthropic.claude-haiku-4-5-20251001-v1:0",
      region: "us-east-1",
      stream: false
    ] ++ extra
  end

  test "call_id / tenant_id that have no string form: ArgumentError or :invalid_request" do
    for {key, value} <- [call_id: %{a: 1}, tenant_id: {1, 2}, call_id: self()] do
      assert_raise ArgumentError, ~r/invalid option #{inspect(key)}/, fn ->
        BedrockClient.generate_response("hi", %{}, opts([{key, value}]))
      end

      # The same ids in the context (data, not a programmer's option): an error value.
      assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} =
               BedrockClient.generate_response("hi", %{key => value}, opts([]))

      assert message =~ "#{inspect(key)} must be a string"
    end

    refute_received :network
  end

  test "every other bad option is refused before the backend is called" do
    bad = [
      temperature: 2,
      max_tokens: 0,
      tool_choice: :sometimes,
      cache: "yes",
      guardrail: [id: "Bad Id!", version: "1"],
      max_rounds: 0,
      acknowledge: :maybe,
      memory_opts: [bogus: 1],
      client_opts: [regoin: "us-east-1"],
      sentences: :bogus,
      sentences: [max_chars: -1],
      no_such_option: 1
    ]

    for {key, value} <- bad do
      extra = if key == :memory_opts, do: [memory: "call-1"], else: []

      assert_raise ArgumentError, fn ->
        BedrockClient.generate_response("hi", %{}, opts([{key, value} | extra]))
      end
    end

    refute_received :network
  end
end
