defmodule Aybiza.Bedrock.OptionsTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Options

  @spec_list [:region, endpoint: nil, timeouts: [], api: :auto]

  test "valid options give what Keyword.validate!/2 gives (defaults added, nothing else)" do
    for opts <- [
          [],
          [region: "us-east-1"],
          [api: :converse, region: "eu-west-1"],
          [endpoint: "http://127.0.0.1:1", timeouts: [connect: 5], api: :messages],
          [api: :converse, endpoint: nil, timeouts: [], region: "x"]
        ] do
      validated = Options.validate!(opts, @spec_list, "test option")
      assert Enum.sort(validated) == Enum.sort(Keyword.validate!(opts, @spec_list))
      # A key without a default is added only when given.
      assert Keyword.has_key?(validated, :region) == Keyword.has_key?(opts, :region)
    end
  end

  test "unknown, repeated and non-keyword options raise naming keys, never values" do
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    e =
      assert_raise ArgumentError, fn ->
        Options.validate!([regoin: secret], @spec_list, "test option")
      end

    assert e.message =~ "unknown test option :regoin"
    assert e.message =~ "did you mean :region?"
    refute e.message =~ secret

    e =
      assert_raise ArgumentError, fn ->
        Options.validate!([region: secret, region: secret], @spec_list, "test option")
      end

    assert e.message =~ ":region given more than once"
    refute e.message =~ secret

    # More pairs than the spec has keys: one is repeated or unknown.
    e =
      assert_raise ArgumentError, fn ->
        Options.validate!(
          [region: "a", endpoint: nil, timeouts: [], api: :auto, api: :auto],
          @spec_list,
          "test option"
        )
      end

    assert e.message =~ ":api given more than once"

    for bad <- [
          [{"region", secret}],
          [:region],
          [{:region, secret} | :tail],
          [{:api, :auto}, {:region, secret} | :tail],
          %{region: secret}
        ] do
      e = assert_raise ArgumentError, fn -> Options.validate!(bad, @spec_list, "test option") end
      assert e.message =~ "test options must be a keyword list"
      refute e.message =~ secret
    end
  end
end
