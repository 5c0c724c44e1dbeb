defmodule Aybiza.HostAppTest do
  # What a host application sees: a separate Mix project (test/fixtures/host_app) that
  # depends on this library by path, compiled and run in its own VM.
  use ExUnit.Case, async: true

  @moduletag :host_app
  @moduletag timeout: 300_000
  @fixture Path.expand("../fixtures/host_app", __DIR__)

  # The host app's dev build, kept between runs in this checkout's own _build (the last path
  # part names the env the NIF compiler reads), never in the fixture: nothing built may sit in
  # the source tree, and a fixture _build copied from another checkout holds that checkout's
  # compiled library and a priv link to its NIF, which would then be what the host app runs.
  @host_build Path.join([Path.dirname(Mix.Project.build_path()), "host_app", "dev"])

  # The child `mix` must not inherit this run's MIX_ENV, build path or emulator choice. The
  # host app calls the embedded emulator, which its _build/dev build includes although Mix
  # compiles the dependency in :prod.
  defp mix(args, env) do
    defaults = %{
      "MIX_ENV" => "dev",
      "MIX_BUILD_PATH" => @host_build,
      "MIX_EXS" => nil,
      "AYBIZA_NIF_EMULATOR" => nil
    }

    env = Enum.into(env, defaults)
    System.cmd("mix", args, cd: @fixture, env: Map.to_list(env), stderr_to_stdout: true)
  end

  defp tmp_build(name) do
    Path.join(System.tmp_dir!(), "aybiza_host_#{name}_#{System.unique_integer([:positive])}")
  end

  # Every file below the fixture, ignored ones too.
  defp fixture_files, do: Path.wildcard(Path.join(@fixture, "**"), match_dot: true)

  test "compiles the library as a dependency and streams a voice turn against the emulator" do
    before = fixture_files()
    # A dependency builds in :prod, so its NIF in release; the debug build of this run will do.
    {out, status} = mix(["run", "-e", "HostApp.voice_turn()"], [{"AYBIZA_CARGO_PROFILE", "dev"}])
    assert status == 0, out
    assert out =~ ~r/sentence 0: \S/
    assert out =~ ~r/done: \d+ output tokens/
    # Built into this checkout's _build, nothing into the fixture.
    assert File.dir?(Path.join(@host_build, "lib/aybiza_bedrock/ebin"))
    assert fixture_files() == before
  end

  test "a host's prod build leaves the emulator out and says so when it is used" do
    root = tmp_build("no_emulator")
    # Laid out like _build/prod: the Mix compiler reads the host's env from the path.
    build = Path.join(root, "prod")

    try do
      {out, _status} =
        mix(
          ["run", "-e", "IO.inspect(Aybiza.Bedrock.Emulator.available?()); HostApp.voice_turn()"],
          [
            {"MIX_ENV", "prod"},
            {"AYBIZA_CARGO_PROFILE", "dev"},
            {"MIX_BUILD_PATH", build}
          ]
        )

      assert out =~ ~r/Compiling NIF crate aybiza_nif \(cargo, profile dev, minimal\)/, out
      assert out =~ ~r/^false$/m, out
      assert out =~ "the embedded Bedrock emulator is not in this build", out
      assert out =~ "AYBIZA_NIF_EMULATOR=1", out
    after
      File.rm_rf!(root)
    end
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

  describe "a tool turn through BedrockClient.generate_response/3" do
    test "a model throttled in round 2 is retried and falls back; every attempt is accounted" do
      {out, status} =
        mix(["run", "-e", "HostApp.tool_turn_throttled()"], [{"AYBIZA_CARGO_PROFILE", "dev"}])

      assert status == 0, out
      assert out =~ "round 1\n"
      assert out =~ "tool_result get_hours success"
      assert out =~ "retry round=2 model=anthropic.claude-sonnet-4-6 reason=throttled"

      assert out =~
               "fallback round=2 to=anthropic.claude-haiku-4-5-20251001-v1:0 reason=throttled"

      assert [_, cost] =
               Regex.run(
                 ~r/done rounds=2 attempts=1:ok,2:throttled,2:throttled,2:ok cost=(\d+) text=We open at nine tomorrow\./,
                 out
               )

      assert String.to_integer(cost) > 0
    end

    test "barge-in during a tool round: one terminal with cost, balanced telemetry, a monitor row" do
      {out, status} =
        mix(["run", "-e", "HostApp.barge_in_tool_round()"], [{"AYBIZA_CARGO_PROFILE", "dev"}])

      assert status == 0, out
      assert out =~ "terminals=1\n"
      assert [_, cost] = Regex.run(~r/terminal cancelled cost_nanodollars=(\d+)/, out)
      assert String.to_integer(cost) > 0
      assert out =~ "span turn start=1 end=1"
      assert out =~ "span stream start=1 end=1"
      assert out =~ "span tool_round start=1 end=1"
      assert out =~ "turn exception cost=#{cost}"
      assert out =~ "monitor calls=1 errors=0 cost=#{cost}"
    end
  end

  describe "configuration from the environment (Aybiza.Bedrock.RuntimeConfig at start)" do
    @variables [
      {"AWS_REGION", "eu-central-1"},
      {"AWS_FALLBACK_REGION", "eu-west-1"},
      {"AWS_BEDROCK_MODELS",
       "us.anthropic.claude-haiku-4-5-20251001-v1:0,anthropic.claude-4-sonnet-20250120"},
      {"AWS_DEFAULT_BEDROCK_MODEL", "us.anthropic.claude-haiku-4-5-20251001-v1:0"},
      {"LATENCY_THRESHOLD_MS", "450"},
      {"EXTENDED_THINKING_THRESHOLD", "0.75"},
      {"COST_OPTIMIZATION_ENABLED", "true"},
      {"BEDROCK_CONNECTION_TIMEOUT", "700"},
      {"BEDROCK_REQUEST_TIMEOUT", "9000"},
      {"BEDROCK_POOL_SIZE", "10"}
    ]

    defp settings(extra_env) do
      env = [{"AYBIZA_CARGO_PROFILE", "dev"} | @variables] ++ extra_env
      {out, status} = mix(["run", "-e", "HostApp.print_settings()"], env)
      assert status == 0, out
      out
    end

    test "the documented variables reach the library's settings in a host app" do
      out = settings([])

      assert out =~ ~s(setting region="eu-central-1")
      assert out =~ ~s(setting fallback_region="eu-west-1")
      # The design's model name is mapped to the real id.
      assert out =~
               ~s(setting models=["us.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"])

      assert out =~ ~s(setting default_model="us.anthropic.claude-haiku-4-5-20251001-v1:0")
      assert out =~ "setting latency_threshold_ms=450"
      # ...and drives the performance monitor's latency rule.
      assert out =~ "monitor latency_threshold_ms=450"
      assert out =~ "setting extended_thinking_threshold=0.75"
      assert out =~ "setting cost_optimization_enabled=true"
      assert out =~ "setting timeouts=[connect: 700, first_byte: 10000, idle: 10000, total: 9000]"
      # Deprecated: a warning at start, never a setting.
      assert out =~ "setting pool_size=nil"
      assert out =~ "BEDROCK_POOL_SIZE is deprecated and ignored"
    end

    test "the host's app config wins over a variable; the other variables still apply" do
      out = settings([{"HOST_APP_CONFIGURES", "1"}])

      assert out =~ ~s(setting fallback_region="ap-southeast-2")
      assert out =~ "setting latency_threshold_ms=999"
      assert out =~ "monitor latency_threshold_ms=999"
      # :timeouts merges key by key: the host's :connect, the variable's :total.
      assert out =~
               "setting timeouts=[connect: 1234, first_byte: 10000, idle: 10000, total: 9000]"

      assert out =~ ~s(setting region="eu-central-1")
      assert out =~ "setting cost_optimization_enabled=true"
    end

    test "read_env: false opts out in one line" do
      out = settings([{"HOST_APP_READ_ENV", "false"}])

      assert out =~ ~s(setting fallback_region="us-west-2")
      assert out =~ "setting latency_threshold_ms=200"
      assert out =~ ~s(setting default_model="anthropic.claude-sonnet-4-6")
      assert out =~ "setting models=[]"

      assert out =~
               "setting timeouts=[connect: 3000, first_byte: 10000, idle: 10000, total: 120000]"
    end

    test "an invalid variable stops the host app's boot, naming the variable" do
      {out, status} =
        mix(["run", "-e", "HostApp.print_settings()"], [
          {"AYBIZA_CARGO_PROFILE", "dev"},
          {"LATENCY_THRESHOLD_MS", "fast"}
        ])

      assert status != 0
      assert out =~ "{:invalid_config, \"invalid LATENCY_THRESHOLD_MS="
      assert out =~ "expected a positive integer"
      refute out =~ "setting "
    end
  end
end
