defmodule Aybiza.ErrorReasonsTest do
  # Every reason the library can return is documented: in `Aybiza.Error`'s table and in its
  # `@type reason`. The reasons are collected from the sources (the Rust error enum and every
  # `Error.new(:reason, ...)` in lib/), so a new reason cannot slip in undocumented.
  use ExUnit.Case, async: true

  @root Path.expand("../..", __DIR__)

  defp native_reasons do
    source = File.read!(Path.join(@root, "native/aybiza_core/src/error.rs"))
    reasons = for [_, r] <- Regex.scan(~r/ErrorKind::\w+ => "([a-z_]+)"/, source), do: r
    assert length(reasons) > 20, "the Rust ErrorKind -> reason table was not found"
    reasons
  end

  defp elixir_reasons do
    for file <- Path.wildcard(Path.join(@root, "lib/**/*.ex")),
        [_, r] <- Regex.scan(~r/Error\.new\(\s*:([a-z_]+)/, File.read!(file)),
        uniq: true,
        do: r
  end

  defp typed_reasons do
    {:ok, types} = Code.Typespec.fetch_types(Aybiza.Error)

    [{:reason, {:type, _, :union, members}, []}] =
      for {:type, {:reason, _, _} = t} <- types, do: t

    for {:atom, _, atom} <- members, do: Atom.to_string(atom)
  end

  test "every reason produced is in Aybiza.Error's table and @type reason" do
    {:docs_v1, _, _, _, %{"en" => moduledoc}, _, _} = Code.fetch_docs(Aybiza.Error)
    typed = typed_reasons()
    produced = Enum.uniq(native_reasons() ++ elixir_reasons())

    assert "circuit_open" in produced and "max_rounds" in produced

    for reason <- produced do
      assert moduledoc =~ "`:#{reason}`", "#{reason} is not in Aybiza.Error's table"
      assert reason in typed, "#{reason} is not in Aybiza.Error.reason()"
    end
  end

  test "the type has no catch-all: a reason outside the table is a documentation bug" do
    {:ok, types} = Code.Typespec.fetch_types(Aybiza.Error)
    [{:type, _, :union, members}] = for {:type, {:reason, spec, _}} <- types, do: spec
    assert Enum.all?(members, &match?({:atom, _, _}, &1))
  end
end
