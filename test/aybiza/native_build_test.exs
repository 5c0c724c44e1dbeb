defmodule Aybiza.NativeBuildTest do
  # Not async: one test switches Mix.env and an environment variable.
  use ExUnit.Case, async: false

  test "the NIF library is loaded from priv/native" do
    assert Aybiza.Native.load_error() == nil
    assert File.exists?(Path.join(:code.priv_dir(:aybiza_bedrock), "native/libaybiza_nif.so"))
    assert is_integer(Aybiza.Bedrock.live_streams())
  end

  test "dev and test builds carry the embedded emulator; a prod build leaves it out" do
    assert Aybiza.Bedrock.Emulator.available?()
    features = &Mix.Tasks.Compile.AybizaNif.cargo_features/1
    assert features.(Mix.Project.app_path()) == :emulator

    env = Mix.env()

    try do
      System.delete_env("AYBIZA_NIF_EMULATOR")
      # A host app compiles dependencies in :prod; its own env is in the build path.
      Mix.env(:prod)
      assert features.("/app/_build/test/lib/aybiza_bedrock") == :emulator
      assert features.("/app/_build/dev/lib/aybiza_bedrock") == :emulator
      assert features.("/app/_build/prod/lib/aybiza_bedrock") == :minimal
      assert features.("/tmp/custom_build/lib/aybiza_bedrock") == :minimal
      System.put_env("AYBIZA_NIF_EMULATOR", "1")
      assert features.("/app/_build/prod/lib/aybiza_bedrock") == :emulator
      System.put_env("AYBIZA_NIF_EMULATOR", "0")
      assert features.("/app/_build/test/lib/aybiza_bedrock") == :minimal
      System.put_env("AYBIZA_NIF_EMULATOR", "yes")

      assert_raise Mix.Error, ~r/AYBIZA_NIF_EMULATOR=yes: expected 1 or 0/, fn ->
        features.("/app/_build/test/lib/aybiza_bedrock")
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
