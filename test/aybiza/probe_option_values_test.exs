defmodule Aybiza.ProbeOptionValuesTest do
  # A careless caller puts a secret into an option that holds none (`:limits`, `:telemetry`,
  # a policy option, a memory query): the ArgumentError names the option and the kind of
  # value, never the value. Numbers and atoms are still shown (no secret is one).
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock

  @secret "wJalrXUtnFEMI/K7MDENG/probe-option-secret"
  @request %{
    model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    messages: [%{role: :user, content: "hi"}]
  }

  defp message(fun) do
    e = assert_raise(ArgumentError, fun)
    refute e.message =~ @secret
    refute e.message =~ "probe-option-secret"
    e.message
  end

  test "stream/2 options that hold no secret describe a wrong value instead of printing it" do
    for {key, value} <- [
          limits: @secret,
          telemetry: %{secret_access_key: @secret},
          exact_token_counts: {:static, "AKIAEXAMPLE", @secret},
          trace_timings: [@secret]
        ] do
      msg = message(fn -> Bedrock.stream(@request, [{key, value}]) end)
      assert msg =~ inspect(key), msg
      assert msg =~ ~r/got:? an? (string|map|3-tuple|list)/, msg
    end

    # A number is shown as it is.
    assert message(fn -> Bedrock.stream(@request, coalesce_us: -5) end) =~ "got: -5"
  end

  test "a turn policy option and a prompt cache option do not print a secret either" do
    assert message(fn -> Aybiza.Bedrock.Turn.Policy.options!(max_attempts: @secret) end) =~
             "a string of"

    assert message(fn -> Aybiza.Bedrock.PromptCache.add_cache_points(@request, ttl: @secret) end) =~
             "a string of"
  end
end
