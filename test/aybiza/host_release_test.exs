defmodule Aybiza.HostReleaseTest do
  # What a host application sees in production: `mix release` of the host-app fixture
  # (test/fixtures/host_app), copied away from its build and run the way operators do
  # (`bin/host_app eval ...`). One release build for the module.
  use ExUnit.Case, async: true

  @moduletag :host_app
  @moduletag timeout: 600_000
  @fixture Path.expand("../fixtures/host_app", __DIR__)

  # The embedded emulator's credentials (Aybiza.Bedrock.Emulator's defaults).
  @emulator_key_id "AKIAIOSFODNN7EXAMPLE"
  @emulator_secret "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

  # Credentials no printer may show: the secret and the full key id.
  @marker_key_id "AKIAHOST7RELEASEKEYID"
  @marker_secret "host7-release-secret-marker-0f1e2d3c"

  setup_all do
    root = Path.join(System.tmp_dir!(), "aybiza_release_#{System.unique_integer([:positive])}")

    # Laid out like _build/prod; the release goes to <build>/rel/host_app.
    build = Path.join(root, "prod")

    env = [
      {"MIX_ENV", "prod"},
      {"MIX_BUILD_PATH", build},
      {"MIX_EXS", nil},
      # The debug NIF build keeps the test short; the emulator is in for the voice turn.
      {"AYBIZA_CARGO_PROFILE", "dev"},
      {"AYBIZA_NIF_EMULATOR", "1"},
      {"AYBIZA_NIF_PATH", nil}
    ]

    {out, status} =
      System.cmd("mix", ["release", "--overwrite"],
        cd: @fixture,
        env: env,
        stderr_to_stdout: true
      )

    if status != 0, do: File.rm_rf!(root)
    assert status == 0, out
    assert out =~ "Release created at"

    # Run from a copy, with the build gone: nothing may load from the build dir or the
    # source tree (the library's source checkout has no priv/ of its own).
    release = Path.join(root, "installed/host_app")
    File.mkdir_p!(Path.dirname(release))
    File.cp_r!(Path.join(build, "rel/host_app"), release)
    File.rm_rf!(build)
    on_exit(fn -> File.rm_rf!(root) end)

    %{release: release}
  end

  # `bin/host_app eval expr` in a clean environment: no Mix variables, the given AWS ones.
  defp eval(release, expr, aws \\ []) do
    env =
      [
        {"MIX_ENV", nil},
        {"MIX_BUILD_PATH", nil},
        {"AWS_ACCESS_KEY_ID", nil},
        {"AWS_SECRET_ACCESS_KEY", nil},
        {"AWS_SESSION_TOKEN", nil},
        {"AWS_PROFILE", nil},
        {"AWS_BEARER_TOKEN_BEDROCK", nil}
      ] ++ aws

    System.cmd(Path.join(release, "bin/host_app"), ["eval", expr],
      env: env,
      stderr_to_stdout: true
    )
  end

  defp marker_aws,
    do: [{"AWS_ACCESS_KEY_ID", @marker_key_id}, {"AWS_SECRET_ACCESS_KEY", @marker_secret}]

  defp refute_secret(out) do
    refute out =~ @marker_secret
    refute out =~ @marker_key_id
  end

  test "a voice turn from the release, the NIF loaded from the release's own priv", %{
    release: release
  } do
    {out, status} = eval(release, "HostApp.Release.voice_turn()")
    assert status == 0, out
    assert out =~ ~r/sentence 0: \S/
    assert out =~ ~r/done: \d+ output tokens/

    [lib] = Path.wildcard(Path.join(release, "lib/aybiza_bedrock-*"))
    assert out =~ "priv_dir #{lib}/priv\n"
    nif = Path.join(lib, "priv/native/libaybiza_nif.so")
    assert File.regular?(nif)
    assert [_, mapped] = Regex.run(~r/^nif_mapped (.+)$/m, out), out
    assert mapped == nif
  end

  test "started as a daemon, a voice turn through `bin/host_app rpc`, then stopped", %{
    release: release
  } do
    bin = Path.join(release, "bin/host_app")
    # A node name of its own: other runs on this machine may have a release up.
    env = [
      {"RELEASE_NODE", "aybiza_host_#{System.unique_integer([:positive])}"},
      {"RELEASE_DISTRIBUTION", "sname"},
      {"RELEASE_COOKIE", "aybiza-host-release-test"}
    ]

    run = fn command, args ->
      System.cmd(bin, [command | args], env: env, stderr_to_stdout: true)
    end

    try do
      assert {_, 0} = run.("daemon", [])
      # Up once the node answers and has started the host app (boot runs after the node is up).
      booted = "true = List.keymember?(Application.started_applications(), :host_app, 0)"

      assert Enum.any?(1..50, fn _ ->
               match?({_, 0}, run.("rpc", [booted])) or (Process.sleep(200) && false)
             end)

      {out, status} = run.("rpc", ["HostApp.voice_turn()"])
      assert status == 0, out
      assert out =~ ~r/sentence 0: \S/
      assert out =~ ~r/done: \d+ output tokens/
    after
      run.("stop", [])
      # `stop` returns before the node is down: wait, so that no node outlives its directory.
      Enum.find(1..50, fn _ -> elem(run.("pid", []), 1) != 0 or (Process.sleep(200) && false) end)
    end
  end

  describe "config/runtime.exs reads AWS credentials from the environment at boot" do
    test "the release uses them: the emulator's own credentials stream a turn", %{
      release: release
    } do
      aws = [{"AWS_ACCESS_KEY_ID", @emulator_key_id}, {"AWS_SECRET_ACCESS_KEY", @emulator_secret}]
      {out, status} = eval(release, "HostApp.Release.voice_turn!()", aws)
      assert status == 0, out
      assert out =~ "voice_turn! done"
    end

    test "other credentials are used (the emulator rejects them) and the eval error prints none",
         %{release: release} do
      {out, status} = eval(release, "HostApp.Release.voice_turn!()", marker_aws())
      # The MatchError of the eval holds the terminal %Aybiza.Error{}.
      assert status != 0, out
      assert out =~ "MatchError"
      assert out =~ "%Aybiza.Error{"
      assert out =~ ":invalid_credentials"
      refute_secret(out)
    end
  end

  test "a host GenServer holding our structs crashes: no secret in the Logger or SASL reports",
       %{release: release} do
    {out, status} = eval(release, "HostApp.Release.crash_report()", marker_aws())
    assert status == 0, out
    assert out =~ "crash_report done"
    # Elixir's GenServer report with the state, and OTP's crash report (SASL).
    assert out =~ "GenServer #PID<"
    assert out =~ "terminating"
    assert out =~ "State: %{"
    assert out =~ ~r/Process #PID<[^>]+> terminating/
    assert out =~ "** (RuntimeError) host bug while holding 3 terms"
    # The structs are there, redacted.
    assert out =~ "#Aybiza.Bedrock.Credentials<static:AKIA…>"
    assert out =~ "%Aybiza.Bedrock.Config{"
    assert out =~ "%Aybiza.Error{"
    refute_secret(out)
  end

  test ":sys.get_state/get_status of every process the library starts: no secret", %{
    release: release
  } do
    {out, status} = eval(release, "HostApp.Release.sys_status()", marker_aws())
    assert status == 0, out
    # The turn ran with the configured (marker) credentials.
    assert out =~ "error: invalid_credentials"
    assert [_, n] = Regex.run(~r/^processes=(\d+)$/m, out), out
    # The supervisor, its seven children and the processes under those supervisors (16 now).
    assert String.to_integer(n) > 8

    assert length(Regex.scan(~r/^process #PID<[^>]+> status=\{:status, /m, out)) ==
             String.to_integer(n)

    refute_secret(out)
  end
end
