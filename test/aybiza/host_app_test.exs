defmodule Aybiza.HostAppTest do
  # What a host application sees: a separate Mix project (test/fixtures/host_app) that
  # depends on this library by path, compiled and run in its own VM.
  use ExUnit.Case, async: true

  @moduletag :host_app
  @moduletag timeout: 300_000
  @fixture Path.expand("../fixtures/host_app", __DIR__)

  # The child `mix` must not inherit this run's MIX_ENV or build path.
  defp mix(args, env) do
    env = Enum.into(env, %{"MIX_ENV" => "dev", "MIX_BUILD_PATH" => nil, "MIX_EXS" => nil})
    System.cmd("mix", args, cd: @fixture, env: Map.to_list(env), stderr_to_stdout: true)
  end

  defp tmp_build(name) do
    Path.join(System.tmp_dir!(), "aybiza_host_#{name}_#{System.unique_integer([:positive])}")
  end

  test "compiles the library as a dependency and streams a voice turn against the emulator" do
    # A dependency builds in :prod, so its NIF in release; the debug build of this run will do.
    {out, status} = mix(["run", "-e", "HostApp.voice_turn()"], [{"AYBIZA_CARGO_PROFILE", "dev"}])
    assert status == 0, out
    assert out =~ ~r/sentence 0: \S/
    assert out =~ ~r/done: \d+ output tokens/
  end

  test "AYBIZA_NIF_PATH installs a prebuilt NIF and needs no cargo" do
    prebuilt = Path.join(:code.priv_dir(:aybiza_bedrock), "native/libaybiza_nif.so")
    build = tmp_build("prebuilt")

    # No directory holding cargo on the PATH: the compile must not try to build the crate.
    path =
      System.get_env("PATH")
      |> String.split(":")
      |> Enum.reject(&File.exists?(Path.join(&1, "cargo")))
      |> Enum.join(":")

    try do
      {out, status} =
        mix(["run", "-e", "HostApp.voice_turn()"], [
          {"MIX_ENV", "prod"},
          {"MIX_BUILD_PATH", build},
          {"AYBIZA_NIF_PATH", prebuilt},
          {"PATH", path}
        ])

      assert status == 0, out
      refute out =~ "Compiling NIF crate"
      assert out =~ ~r/sentence 0: \S/
      installed = Path.join(build, "lib/aybiza_bedrock/priv/native/libaybiza_nif.so")
      assert File.read!(installed) == File.read!(prebuilt)
    after
      File.rm_rf!(build)
    end
  end

  test "a missing AYBIZA_NIF_PATH file is a clear compile error" do
    build = tmp_build("missing")

    try do
      {out, status} =
        mix(["compile"], [
          {"AYBIZA_NIF_PATH", "/nonexistent/libaybiza_nif.so"},
          {"MIX_BUILD_PATH", build}
        ])

      assert status != 0
      assert out =~ "AYBIZA_NIF_PATH=/nonexistent/libaybiza_nif.so is not a file"
    after
      File.rm_rf!(build)
    end
  end
end
