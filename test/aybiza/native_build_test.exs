defmodule Aybiza.NativeBuildTest do
  # Not async: one test switches Mix.env and an environment variable.
  use ExUnit.Case, async: false

  test "the NIF library is loaded from priv/native" do
    assert Aybiza.Native.load_error() == nil
    assert File.exists?(Path.join(:code.priv_dir(:aybiza_bedrock), "native/libaybiza_nif.so"))
    assert is_integer(Aybiza.Bedrock.live_streams())
  end

  test "a :test build carries the embedded emulator; :prod leaves it out unless asked" do
    assert Aybiza.Bedrock.Emulator.available?()
    assert Mix.Tasks.Compile.AybizaNif.cargo_features() == :emulator

    env = Mix.env()

    try do
      Mix.env(:prod)
      System.delete_env("AYBIZA_NIF_EMULATOR")
      assert Mix.Tasks.Compile.AybizaNif.cargo_features() == :minimal
      System.put_env("AYBIZA_NIF_EMULATOR", "1")
      assert Mix.Tasks.Compile.AybizaNif.cargo_features() == :emulator
      System.put_env("AYBIZA_NIF_EMULATOR", "yes")

      assert_raise Mix.Error, ~r/AYBIZA_NIF_EMULATOR=yes: expected 1 or 0/, fn ->
        Mix.Tasks.Compile.AybizaNif.cargo_features()
      end
    after
      Mix.env(env)
      System.delete_env("AYBIZA_NIF_EMULATOR")
    end
  end

  test "the NIF compiler is a no-op when nothing changed" do
    # `mix test` compiled everything just before; a second run must not rebuild.
    assert {:noop, []} = Mix.Tasks.Compile.AybizaNif.run([])
  end
end
