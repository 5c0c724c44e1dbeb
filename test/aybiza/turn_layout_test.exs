defmodule Aybiza.TurnLayoutTest do
  use ExUnit.Case, async: true

  # The names before the turn folder layout: deprecated aliases of the turn's modules.
  @moved [
    {Aybiza.Bedrock.Recovery, Aybiza.Bedrock.Turn.Relay},
    {Aybiza.Bedrock.Policy, Aybiza.Bedrock.Turn.Policy},
    {Aybiza.Bedrock.Policy.Models, Aybiza.Bedrock.Turn.Policy.Models}
  ]

  test "every public function of a moved module is still reachable under its old name, deprecated" do
    for {old, new} <- @moved do
      new_funs = new.__info__(:functions) |> MapSet.new()
      old_funs = old.__info__(:functions) |> MapSet.new()
      assert MapSet.equal?(old_funs, new_funs), "#{inspect(old)} vs #{inspect(new)}"

      deprecated = old.__info__(:deprecated) |> Map.new()

      for {name, arity} <- old_funs do
        assert deprecated[{name, arity}] =~ "Use #{inspect(new)}.#{name}/#{arity}"
      end

      assert new.__info__(:deprecated) == []
    end
  end

  test "the old names delegate" do
    # apply/3: a direct call would (rightly) print a deprecation warning.
    assert apply(Aybiza.Bedrock.Recovery, :sentence_key, ["The A-P-I."]) ==
             Aybiza.Bedrock.Turn.Relay.sentence_key("The A-P-I.")

    assert apply(Aybiza.Bedrock.Policy, :defaults, []) == Aybiza.Bedrock.Turn.Policy.defaults()

    assert apply(Aybiza.Bedrock.Policy.Models, :chain, ["anthropic.claude-sonnet-4-6"]) ==
             Aybiza.Bedrock.Turn.Policy.Models.chain("anthropic.claude-sonnet-4-6")
  end
end
