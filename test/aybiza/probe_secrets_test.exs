defmodule Aybiza.ProbeSecretsTest do
  # Marker credentials through every failing path of the code added after the first secret
  # audit: Nova Sonic sessions (bad options, refused and rejected connections, a silent
  # server, mid-session errors), health/1 and `mix aybiza.check`, stream_events/2. Every
  # error, raised message, log line (:debug), telemetry event, event sent to the receiver
  # and the health report is searched for them, in Elixir's and Erlang's printers.
  use ExUnit.Case, async: false

  import ExUnit.CaptureLog

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Emulator, Health, Sonic, Telemetry}

  @moduletag timeout: 120_000

  @access_key_id "AKIAPROBEMARKER00001"
  @secret "SECRETPROBEMARKERwJalrXUtnFEMIK7"
  @token "TOKENPROBEMARKERFwoGZXIvYXdzEBYa"
  @api_key "APIKEYPROBEMARKER0123456789"
  @markers ["SECRETPROBEMARKER", "TOKENPROBEMARKER", "APIKEYPROBEMARKER", "AKIAPROBEMARKER"]

  setup do
    level = Logger.level()
    Logger.configure(level: :debug)
    parent = self()
    id = {__MODULE__, self()}

    :ok =
      Telemetry.attach(id, Telemetry.events(), fn event, m, meta, _ ->
        send(parent, {:telemetry, event, m, meta})
      end)

    on_exit(fn ->
      Telemetry.detach(id)
      Logger.configure(level: level)

      Enum.find_value(1..250, fn _ ->
        if Sonic.live_sessions() == 0, do: true, else: Process.sleep(20) && nil
      end)
    end)
  end

  defp static, do: {:static, @access_key_id, @secret, @token}

  defp refute_secret(term, where) do
    shown = [
      if(is_binary(term),
        do: term,
        else: inspect(term, limit: :infinity, printable_limit: :infinity)
      ),
      inspect(term, structs: false, limit: :infinity),
      :io_lib.format(~c"~p", [term]) |> IO.iodata_to_binary()
    ]

    for s <- shown, marker <- @markers do
      refute s =~ marker, "#{where} shows #{marker}: #{String.slice(s, 0, 2_000)}"
    end

    term
  end

  defp logged(fun) do
    parent = self()
    log = capture_log([level: :debug], fn -> send(parent, {:result, fun.()}) end)
    assert_received {:result, result}
    refute_secret(log, "the log")
    result
  end

  defp mailbox_and_telemetry do
    receive do
      msg ->
        refute_secret(msg, "a message")
        mailbox_and_telemetry()
    after
      300 -> :ok
    end
  end

  defp raised(fun) do
    logged(fn ->
      try do
        fun.()
        flunk("expected a raise")
      rescue
        e in [ArgumentError, Aybiza.Error] -> refute_secret(Exception.message(e), "a raise")
      end
    end)
  end

  defp silent do
    {:ok, socket} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
    {:ok, port} = :inet.port(socket)
    {socket, "http://127.0.0.1:#{port}"}
  end

  defp refused do
    {:ok, socket} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}])
    {:ok, port} = :inet.port(socket)
    :gen_tcp.close(socket)
    "http://127.0.0.1:#{port}"
  end

  defp sonic_terminal(s) do
    receive do
      {:aybiza_bedrock, ^s, {:done, _} = t} -> t
      {:aybiza_bedrock, ^s, {:error, _} = t} -> t
      {:aybiza_bedrock, ^s, other} -> refute_secret(other, "a Sonic event") && sonic_terminal(s)
    after
      15_000 -> flunk("no Sonic terminal")
    end
  end

  test "Sonic: every failing path with marker credentials shows none of them" do
    emulator =
      start_supervised!({Emulator, [tls: true, sonic: [speed: 20]]}, id: :probe_secrets_emu)

    tls = [endpoint: Emulator.tls_url(emulator), tls_ca: Emulator.ca_pem(emulator)]
    base = [region: "us-east-1", credentials: static()]

    # Refused before any network.
    for opts <- [
          Keyword.merge(base, region: "eu-west-1"),
          Keyword.merge(base, model: "amazon.nova-sonic-v1:0"),
          Keyword.merge(base, voice: "no such voice"),
          [region: "us-east-1", credentials: {:api_key, @api_key}],
          Keyword.merge(base, endpoint: "http://AKIAPROBEMARKER:SECRETPROBEMARKER@127.0.0.1:1")
        ] do
      assert {:error, %Aybiza.Error{} = e} = logged(fn -> Sonic.start_session(opts) end)
      refute_secret(e, "a Sonic start error")
    end

    # Raised for programmer mistakes.
    raised(fn -> Sonic.start_session(Keyword.merge(base, voyce: "x")) end)
    raised(fn -> Sonic.start_session(Keyword.merge(base, timeout: 5)) end)
    raised(fn -> Sonic.start_session(Map.new(base)) end)
    raised(fn -> Sonic.start_session(Keyword.merge(base, to: :nobody)) end)

    # A header-unsafe access key is the call's :invalid_credentials.
    bad_key = [region: "us-east-1", credentials: {:static, "id\n", @secret, @token}]

    assert {:error, %Aybiza.Error{reason: :invalid_credentials} = e} =
             logged(fn -> Sonic.start_session(bad_key) end)

    refute_secret(e, "a credentials error")

    raised(fn -> Sonic.start_session!(Keyword.merge(base, region: "eu-west-1")) end)

    # Failing connections: refused, wrong secret (the emulator rejects the signature), a
    # server that never answers (closed by the caller).
    {:ok, s} = logged(fn -> Sonic.start_session(Keyword.merge(base, endpoint: refused())) end)
    refute_secret(logged(fn -> sonic_terminal(s) end), "the refused terminal")

    {:ok, s} = logged(fn -> Sonic.start_session(Keyword.merge(base, tls)) end)
    :ok = Sonic.send_text(s, "hello")
    refute_secret(logged(fn -> sonic_terminal(s) end), "the rejected signature's terminal")

    {sock, url} = silent()

    {:ok, s} =
      logged(fn ->
        Sonic.start_session(Keyword.merge(base, endpoint: url, timeouts: [first_byte: 30_000]))
      end)

    refute_secret(Sonic.send_tool_result(s, "nope", "x"), "a tool result error")
    refute_secret(Sonic.send_audio(s, <<1>>), "an audio error")
    Sonic.close(s)
    refute_secret(logged(fn -> sonic_terminal(s) end), "the closed terminal")
    :gen_tcp.close(sock)

    mailbox_and_telemetry()
  end

  test "health/1, Health.format/1 and mix aybiza.check show no credential" do
    emulator = start_supervised!({Emulator, []}, id: :probe_secrets_health)

    for opts <- [
          [credentials: static(), endpoint: refused()],
          [credentials: static(), endpoint: Emulator.url(emulator)],
          [credentials: {:api_key, @api_key}, endpoint: Emulator.url(emulator)],
          [credentials: static(), endpoint: "http://127.0.0.1:1:2"],
          [credentials: static(), count_tokens: false],
          [credentials: static(), region: "not a region", endpoint: refused()]
        ] do
      report = logged(fn -> Bedrock.health(opts) end)
      refute_secret(report, "the health report")
      refute_secret(Health.format(report), "the formatted health report")
    end

    raised(fn -> Bedrock.health(credentials: static(), timeout: 5) end)
    raised(fn -> Bedrock.health(credentials: static(), model_id: 1, count_token: false) end)

    previous = Application.get_all_env(:aybiza_bedrock)
    Application.put_env(:aybiza_bedrock, :credentials, static())
    shell = Mix.shell()
    Mix.shell(Mix.Shell.Process)

    try do
      for argv <- [["--endpoint", Emulator.url(emulator)], ["--endpoint", refused()]] do
        logged(fn ->
          try do
            Mix.Tasks.Aybiza.Check.run(argv)
          catch
            :exit, {:shutdown, 1} -> :down
          end
        end)

        receive do
          {:mix_shell, :info, [text]} -> refute_secret(text, "mix aybiza.check's output")
        after
          1_000 -> flunk("mix aybiza.check printed nothing")
        end
      end
    after
      Mix.shell(shell)
      Application.delete_env(:aybiza_bedrock, :credentials)
      for {k, v} <- previous, do: Application.put_env(:aybiza_bedrock, k, v)
    end

    mailbox_and_telemetry()
  end

  test "stream_events/2: failing and rejected streams show no credential" do
    emulator = start_supervised!({Emulator, []}, id: :probe_secrets_stream)

    request = %{
      model_id: "anthropic.claude-haiku-4-5-20251001-v1:0",
      messages: [%{role: :user, content: "hi"}]
    }

    for opts <- [
          [credentials: static(), endpoint: refused()],
          [credentials: static(), endpoint: Emulator.url(emulator)],
          [credentials: {:api_key, @api_key}, endpoint: Emulator.url(emulator)],
          [credentials: static(), endpoint: Emulator.url(emulator), api: :messages]
        ] do
      events = logged(fn -> request |> Bedrock.stream_events(opts) |> Enum.to_list() end)
      refute_secret(events, "stream_events")
    end

    raised(fn ->
      request |> Bedrock.stream_events(credentials: static(), timeout: 1) |> Enum.to_list()
    end)

    mailbox_and_telemetry()
  end

  test "no process holds a credential in plain text while calls are in flight" do
    {:ok, listener} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
    {:ok, port} = :inet.port(listener)
    url = "http://127.0.0.1:#{port}"
    client = [endpoint: url, credentials: static(), timeouts: [first_byte: 30_000]]

    tool =
      Aybiza.Bedrock.Tool.new!(
        name: "t",
        description: "d",
        input_schema: %{"type" => "object"},
        execute: fn _ -> {:ok, "x"} end
      )

    {:ok, s} = Sonic.start_session([region: "us-east-1", tools: [tool]] ++ client)

    {:ok, ref} =
      Aybiza.AWS.BedrockClient.generate_response("hi", %{tools: [tool], call_id: "probe"},
        stream: true,
        client_opts: client
      )

    request = %{
      model_id: "anthropic.claude-haiku-4-5-20251001-v1:0",
      messages: [%{role: :user, content: "hi"}]
    }

    events = Task.async(fn -> request |> Bedrock.stream_events(client) |> Enum.take(1) end)
    Process.sleep(300)

    holders =
      for pid <- Process.list(), pid != self(), held?(pid), do: Process.info(pid, :initial_call)

    Sonic.close(s)
    Aybiza.AWS.BedrockClient.cancel(ref)
    Task.shutdown(events, :brutal_kill)
    :gen_tcp.close(listener)
    assert holders == []
  end

  # Whether `pid`'s dictionary, mailbox, stack or (for our sys-compliant processes) state
  # shows a marker.
  defp held?(pid) do
    info = Process.info(pid, [:dictionary, :messages, :current_stacktrace]) || []

    backtrace =
      case Process.info(pid, :backtrace) do
        {:backtrace, text} -> text
        _ -> ""
      end

    ours? =
      case info[:dictionary][:"$initial_call"] do
        {module, _, _} -> String.starts_with?(Atom.to_string(module), "Elixir.Aybiza")
        _ -> false
      end

    state =
      if ours?,
        do:
          (try do
             :sys.get_state(pid, 200)
           catch
             _, _ -> nil
           end)

    text =
      inspect({info, state}, limit: :infinity, printable_limit: :infinity, structs: false) <>
        backtrace

    Enum.any?(@markers, &String.contains?(text, &1))
  end
end
