defmodule Aybiza.SecretsTest do
  # Every failing path we know of, run with marker secrets; every error message, captured log
  # line (:debug), telemetry metadata, inspect output and crash report is searched for them.
  # async: false: the Logger level is raised to :debug and a second BedrockClient instance
  # publishes its settings for a moment.
  use ExUnit.Case, async: false

  import ExUnit.CaptureLog

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Config, Credentials, Emulator, FakeBackend, Telemetry, ToolLoop}
  alias Aybiza.Error

  @access_key_id "AKIAMARKER0000000001"
  @secret "SECRETMARKERwJalrXUtnFEMIK7MDENG"
  @token "TOKENMARKERFwoGZXIvYXdzEBYaDH"
  @api_key "APIKEYMARKERbedrock0123456789"
  # The whole access key id must not show either (the redacted form keeps 4 characters).
  @markers ["SECRETMARKER", "TOKENMARKER", "APIKEYMARKER", "AKIAMARKER"]

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  setup_all do
    emulator = start_supervised!({Emulator, api_key: "the-right-api-key"}, id: :secrets_emu)
    %{emulator: emulator, url: Emulator.url(emulator), good: Emulator.credentials(emulator)}
  end

  setup do
    level = Logger.level()
    Logger.configure(level: :debug)
    parent = self()

    :ok =
      Telemetry.attach(
        {__MODULE__, self()},
        Telemetry.events(),
        fn event, measurements, metadata, _ ->
          send(parent, {:telemetry, event, measurements, metadata})
        end
      )

    on_exit(fn ->
      Telemetry.detach({__MODULE__, parent})
      Logger.configure(level: level)
    end)
  end

  defp static, do: {:static, @access_key_id, @secret, @token}

  defp request(text \\ "When do you open?"),
    do: %{model_id: @model, messages: [%{role: :user, content: text}]}

  defp refute_secret(term, where) do
    text =
      if is_binary(term),
        do: term,
        else: inspect(term, limit: :infinity, printable_limit: :infinity)

    raw = if is_binary(term), do: term, else: inspect(term, structs: false, limit: :infinity)

    erlang =
      if is_binary(term), do: term, else: :io_lib.format(~c"~p", [term]) |> IO.iodata_to_binary()

    for shown <- [text, raw, erlang], marker <- @markers do
      refute shown =~ marker, "#{where} shows #{marker}: #{shown}"
    end

    term
  end

  # Runs `fun` capturing every log line at :debug; returns {result, log}.
  defp logged(fun) do
    parent = self()
    log = capture_log([level: :debug], fn -> send(parent, {:result, fun.()}) end)
    assert_received {:result, result}
    refute_secret(log, "the log")
    {result, log}
  end

  defp refute_telemetry_secrets do
    receive do
      {:telemetry, event, measurements, metadata} ->
        refute_secret({event, measurements, metadata}, "telemetry #{inspect(event)}")
        refute_telemetry_secrets()
    after
      0 -> :ok
    end
  end

  defp raised(fun) do
    {result, _log} =
      logged(fn ->
        try do
          fun.()
          :no_raise
        rescue
          e in ArgumentError -> e
        end
      end)

    assert %ArgumentError{} = result, "expected an ArgumentError"
    refute_secret(Exception.message(result), "the ArgumentError")
    refute_secret(result, "the ArgumentError struct")
    result
  end

  describe "option mistakes next to credentials" do
    test "Aybiza.Bedrock: a misspelt option names the key, suggests the right one, shows no value" do
      for creds <- [
            static(),
            {:api_key, @api_key},
            %{access_key_id: @access_key_id, secret_access_key: @secret, session_token: @token}
          ] do
        error = raised(fn -> Bedrock.stream(request(), timeout: 1, credentials: creds) end)
        assert Exception.message(error) =~ ":timeout"
        assert Exception.message(error) =~ "did you mean :timeouts?"

        raised(fn -> Bedrock.converse(request(), credentials: creds, timeouts: [conect: 1]) end)
        raised(fn -> Bedrock.converse(request(), credentials: creds, timeouts: :soon) end)
        raised(fn -> Bedrock.converse(request(), credentials: creds, region: 42) end)
        raised(fn -> Bedrock.converse(request(), credentials: creds, endpoint: {:url, creds}) end)
        raised(fn -> Bedrock.converse("not a map", credentials: creds) end)
        raised(fn -> Bedrock.invoke_model(:not_an_id, %{}, credentials: creds) end)
        raised(fn -> Bedrock.warm(credentials: creds, regoin: "us-east-1") end)
        raised(fn -> Config.client_config(credentials: creds, extra: creds) end)

        # A repeated option: Keyword.validate!/2 would print every value; ours names the key.
        error =
          raised(fn -> Bedrock.converse(request(), credentials: creds, credentials: creds) end)

        assert Exception.message(error) =~ ":credentials given more than once"
      end

      # A credentials value of the wrong shape: its parts are not echoed.
      raised(fn ->
        Bedrock.converse(request(), credentials: {:static, @access_key_id, 42, @token})
      end)

      raised(fn -> Bedrock.converse(request(), credentials: %{secret_access_key: @secret}) end)
      raised(fn -> Bedrock.converse(request(), credentials: [@access_key_id, @secret]) end)
    end

    test "BedrockClient: bad options raise without values; the misspelt client option too" do
      opts = [client_opts: [credentials: static()], backend: {FakeBackend, item: :stall}]

      error = raised(fn -> BedrockClient.generate_response("Hi", %{}, [timeuot: 5] ++ opts) end)
      assert Exception.message(error) =~ "did you mean :timeout?"

      error =
        raised(fn ->
          BedrockClient.generate_response("Hi", %{},
            client_opts: [credentials: static(), timeout: 1]
          )
        end)

      assert Exception.message(error) =~ ":timeout"

      raised(fn ->
        BedrockClient.generate_response("Hi", %{}, client_opts: %{credentials: static()})
      end)

      raised(fn -> BedrockClient.generate_response(:hi, %{}, opts) end)
      raised(fn -> BedrockClient.generate_response("Hi", :ctx, opts) end)

      raised(fn ->
        BedrockClient.generate_response("Hi", %{}, Keyword.put(opts, :temperature, 9))
      end)

      raised(fn ->
        BedrockClient.generate_response("Hi", %{},
          backend: {FakeBackend, [credentials: {:static, @access_key_id, :bad}]}
        )
      end)
    end

    test "ToolLoop: bad options raise without values" do
      backend_opts = [credentials: static()]
      raised(fn -> ToolLoop.stream(request(), [], backend_opts: backend_opts, max_roundz: 2) end)
      raised(fn -> ToolLoop.stream(request(), [], backend_opts: %{credentials: static()}) end)
    end
  end

  describe "failing calls" do
    test "bad region, bad endpoint, validation error", %{url: url} do
      cases = [
        {[region: "us-east-1.evil.com/#", endpoint: url], :invalid_region},
        {[endpoint: "https://#{@access_key_id}:#{@secret}@127.0.0.1:1"], :invalid_endpoint},
        {[endpoint: "ftp://127.0.0.1:1"], :invalid_endpoint},
        {[endpoint: "http://127.0.0.1:1:2"], nil},
        {[endpoint: "http://127.0.0.1:1"], :connect}
      ]

      for {opts, reason} <- cases do
        {result, _log} =
          logged(fn -> Bedrock.converse(request(), [credentials: static()] ++ opts) end)

        assert {:error, %Error{} = error} = result
        if reason, do: assert(error.reason == reason, inspect(error))
        refute_secret(error, "the error")
        refute_secret(Exception.message(error), "the error message")
      end

      {result, _} =
        logged(fn ->
          Bedrock.converse(%{model_id: @model, messages: "nope"},
            credentials: static(),
            endpoint: url
          )
        end)

      assert {:error, %Error{reason: :invalid_request} = error} = result
      refute_secret(error, "a validation error")
      refute_telemetry_secrets()
    end

    test "authentication errors from the emulator", %{url: url, good: good} do
      for creds <- [
            static(),
            {:static, good.access_key_id, @secret},
            {:api_key, @api_key}
          ] do
        {result, _log} =
          logged(fn -> Bedrock.converse(request(), credentials: creds, endpoint: url) end)

        assert {:error, %Error{reason: :invalid_credentials} = error} = result
        refute_secret(error, "the auth error")

        {:ok, ref} = Bedrock.stream(request(), credentials: creds, endpoint: url)
        assert_receive {:aybiza_bedrock, ^ref, {:error, %Error{} = error}}, 5_000
        refute_secret(error, "the streamed auth error")
      end
    end

    test "timeouts: a server that accepts the signed request and never answers" do
      # A local listener that holds every connection open: the request is signed with the
      # marker credentials and sent, and the call ends on its first-byte timeout.
      {:ok, listener} = :gen_tcp.listen(0, [:binary, active: false, ip: {127, 0, 0, 1}])
      {:ok, port} = :inet.port(listener)
      holder = spawn(fn -> hold_connections(listener, []) end)
      :ok = :gen_tcp.controlling_process(listener, holder)
      on_exit(fn -> Process.exit(holder, :kill) end)

      for creds <- [static(), {:api_key, @api_key}] do
        {result, _log} =
          logged(fn ->
            Bedrock.converse(request(),
              credentials: creds,
              endpoint: "http://127.0.0.1:#{port}",
              timeouts: [first_byte: 150, total: 2_000]
            )
          end)

        assert {:error, %Error{reason: reason} = error} = result
        assert reason in [:first_byte_timeout, :timeout]
        refute_secret(error, "the timeout error")
      end
    end

    test "BedrockClient: errors, telemetry and the relay's death", %{url: url} do
      client_opts = [credentials: static(), endpoint: url]

      {result, _log} =
        logged(fn ->
          BedrockClient.generate_response("When do you open?", %{call_id: "secret-test"},
            stream: false,
            model_id: @model,
            region: "us-east-1",
            client_opts: client_opts,
            fallback_line: false,
            breaker: [failure_threshold: 1_000]
          )
        end)

      assert {:error, %Error{reason: :invalid_credentials} = error} = result
      refute_secret(error, "the client's error")

      # A relay killed mid-call: its replacement terminal and the telemetry show no secret.
      {result, _log} =
        logged(fn ->
          {:ok, ref} =
            BedrockClient.generate_response("Hi", %{call_id: "secret-test"},
              backend: {FakeBackend, [item: :stall] ++ client_opts},
              model_id: @model,
              region: "us-east-1"
            )

          relay = Aybiza.Bedrock.Turn.Relay.lookup(ref)
          refute_secret(Process.info(relay, :backtrace), "the relay's backtrace")
          Process.exit(relay, :kill)
          assert_receive {:aybiza_bedrock, ^ref, {:error, %Error{reason: :internal} = e}}, 2_000
          e
        end)

      refute_secret(result, "the relay-death error")
      refute_telemetry_secrets()
    end
  end

  defp hold_connections(listener, held) do
    case :gen_tcp.accept(listener) do
      {:ok, socket} -> hold_connections(listener, [socket | held])
      {:error, _} -> :ok
    end
  end

  describe "state and crash reports" do
    test "credentials, configs and the client's settings print no secret" do
      for creds <- [static(), {:api_key, @api_key}] do
        refute_secret(Credentials.new(creds), "Credentials")
        {:ok, config} = Config.client_config(credentials: creds, region: "eu-west-1")
        refute_secret(config, "Config")
        # Only the NIF's argument holds the secret.
        native = Config.native(config)
        assert inspect(native) =~ "MARKER"
      end
    end

    test "a crash of a client GenServer holding credentials reports none" do
      settings = BedrockClient.settings()
      backend = {Aybiza.Bedrock.Backend.Native, credentials: static()}
      {:ok, pid} = GenServer.start(BedrockClient, backend: backend)

      on_exit(fn -> :persistent_term.put({BedrockClient, :settings}, settings) end)

      refute_secret(:sys.get_state(pid), "the client's state")
      refute_secret(:sys.get_status(pid), "the client's status")

      {_, log} =
        logged(fn ->
          mon = Process.monitor(pid)
          catch_exit(GenServer.call(pid, {:unknown_call, :boom}))
          assert_receive {:DOWN, ^mon, :process, ^pid, _}
          # Let the logger write the crash report.
          Process.sleep(100)
        end)

      assert log =~ "unknown_call"
    end
  end
end
