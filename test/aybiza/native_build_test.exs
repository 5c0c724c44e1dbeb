defmodule Aybiza.NativeBuildTest do
  use ExUnit.Case, async: true

  test "the NIF library is loaded from priv/native" do
    assert Aybiza.Native.load_error() == nil
    assert File.exists?(Path.join(:code.priv_dir(:aybiza_bedrock), "native/libaybiza_nif.so"))
    assert is_integer(Aybiza.Bedrock.live_streams())
  end

  test "the NIF compiler is a no-op when nothing changed" do
    # `mix test` compiled everything just before; a second run must not rebuild.
    assert {:noop, []} = Mix.Tasks.Compile.AybizaNif.run([])
  end
end
