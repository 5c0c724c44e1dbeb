defmodule Aybiza.Bedrock.EmulatorTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Emulator

  @model_path "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0"
  @body ~s({"messages":[{"role":"user","content":[{"text":"What are your opening hours?"}]}]})

  setup_all do
    {:ok, _} = Application.ensure_all_started(:inets)
    :ok
  end

  setup do
    emulator =
      start_supervised!(
        {Emulator,
         api_key: "test-api-key",
         rules: [[prompt_contains: "opening hours", reply: "We open at 9:00 a.m. sharp."]]}
      )

    %{emulator: emulator, url: Emulator.url(emulator)}
  end

  defp post(url, path, body, headers \\ []) do
    headers = Enum.map(headers, fn {k, v} -> {String.to_charlist(k), String.to_charlist(v)} end)
    request = {String.to_charlist(url <> path), headers, ~c"application/json", body}

    {:ok, {{_, status, _}, resp_headers, resp_body}} =
      :httpc.request(:post, request, [timeout: 5_000], body_format: :binary)

    headers = Map.new(resp_headers, fn {k, v} -> {to_string(k), to_string(v)} end)
    {status, headers, resp_body}
  end

  test "url and credentials", %{emulator: emulator, url: url} do
    assert url =~ ~r{^http://127\.0\.0\.1:\d+$}

    assert %{
             access_key_id: "AKIAIOSFODNN7EXAMPLE",
             secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
             api_key: "test-api-key"
           } = Emulator.credentials(emulator)
  end

  test "unsigned requests are rejected, bearer API keys accepted", %{emulator: emulator, url: url} do
    {status, headers, body} = post(url, @model_path <> "/converse", @body)
    assert status == 403
    assert headers["x-amzn-errortype"] == "UnrecognizedClientException"
    assert body =~ ~s("message")
    assert headers["x-amzn-requestid"] =~ ~r/^[0-9a-f-]{36}$/

    {status, headers, _} =
      post(url, @model_path <> "/converse", @body, [{"authorization", "Bearer wrong"}])

    assert status == 403
    assert headers["x-amzn-errortype"] == "UnrecognizedClientException"

    {status, _headers, body} =
      post(url, @model_path <> "/converse", @body, [{"authorization", "Bearer test-api-key"}])

    assert status == 200
    assert body =~ ~s("stopReason":"end_turn")
    assert body =~ "We open at 9:00 a.m. sharp."

    counters = Emulator.counters(emulator)
    assert counters["converse"]["auth_error"] == 2
    assert counters["converse"]["ok"] == 1
    assert counters["total_requests"] == 3
    assert counters["open_streams"] == 0
  end

  test "unknown routes get an AWS-style 404", %{emulator: emulator, url: url} do
    {status, headers, _} = post(url, "/nope", "{}")
    assert status == 404
    assert headers["x-amzn-errortype"] == "UnknownOperationException"
    assert Emulator.counters(emulator)["unknown"]["not_found"] == 1
  end

  test "faults and rules can be changed at runtime", %{emulator: emulator, url: url} do
    auth = [{"authorization", "Bearer test-api-key"}]
    assert :ok = Emulator.set_faults(emulator, "throttle")
    {status, headers, _} = post(url, @model_path <> "/converse", @body, auth)
    assert status == 429
    assert headers["x-amzn-errortype"] == "ThrottlingException"

    assert :ok = Emulator.set_faults(emulator, nil)
    assert {:error, _} = Emulator.set_faults(emulator, "explode")
    assert :ok = Emulator.set_rules(emulator, [%{reply: "Replaced."}])
    {200, _, body} = post(url, @model_path <> "/converse", @body, auth)
    assert body =~ "Replaced."

    {status, headers, _} =
      post(url, @model_path <> "/converse", @body, auth ++ [{"x-emulator-fault", "error=503"}])

    assert status == 503
    assert headers["x-amzn-errortype"] == "ServiceUnavailableException"

    counters = Emulator.counters(emulator)
    assert counters["converse"]["throttled"] == 1
    assert counters["converse"]["error"] == 1
  end

  test "throttle_above: ThrottlingException over a request rate, set from the options" do
    emulator =
      start_supervised!(
        {Emulator,
         api_key: "k", faults: [throttle_above: [requests_per_minute: 120, burst_ms: 1_000]]},
        id: :rate
      )

    url = Emulator.url(emulator)
    auth = [{"authorization", "Bearer k"}]
    call = fn -> post(url, @model_path <> "/converse", @body, auth) end

    # 120/min with a 1 s burst: two at once, then one per 500 ms.
    assert {200, _, _} = call.()
    assert {200, _, _} = call.()
    assert {429, headers, body} = call.()
    assert headers["x-amzn-errortype"] == "ThrottlingException"
    assert body == ~s({"message":"Too many requests, please wait before trying again."})
    assert %{"converse" => %{"ok" => 2, "throttled" => 1}} = Emulator.counters(emulator)

    # Counters reset refills the window; a spec string and a map set it at run time.
    :ok = Emulator.reset_counters(emulator)
    assert {200, _, _} = call.()
    assert :ok = Emulator.set_faults(emulator, "rpm=60,rate_burst_ms=1000")
    assert {200, _, _} = call.()
    assert {429, _, _} = call.()

    assert {:error, message} =
             Emulator.set_faults(emulator, throttle_above: [requests_per_minute: 0])

    assert message =~ "positive"
    assert {:error, _} = Emulator.set_faults(emulator, throttle_above: [])
    assert :ok = Emulator.set_faults(emulator, nil)
    assert {200, _, _} = call.()
  end

  test "streams are binary event streams", %{url: url} do
    {status, headers, body} =
      post(url, @model_path <> "/converse-stream", @body, [
        {"authorization", "Bearer test-api-key"}
      ])

    assert status == 200
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert body =~ "messageStart"
    assert body =~ "metadata"
  end

  test "the control plane: inference profiles, application profiles from the options" do
    Process.flag(:trap_exit, true)

    {:ok, pid} =
      Emulator.start_link(
        api_key: "k",
        application_profiles: [
          [id: "frontdesk001", name: "front desk", model_source: "us.amazon.nova-lite-v1:0"]
        ]
      )

    url = Emulator.url(pid)

    # The bodies are checked as text (the library has no JSON dependency).
    get = fn path ->
      request = {String.to_charlist(url <> path), [{~c"authorization", ~c"Bearer k"}]}
      {:ok, {{_, status, _}, _, body}} = :httpc.request(:get, request, [], body_format: :binary)
      {status, body}
    end

    {200, body} = get.("/inference-profiles?type=APPLICATION")
    assert body =~ ~s("inferenceProfileId":"frontdesk001")
    assert body =~ ~s("type":"APPLICATION")

    assert body =~
             ~s("modelArn":"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0")

    refute body =~ "SYSTEM_DEFINED"

    {200, body} = get.("/foundation-models/amazon.nova-lite-v1%3A0")
    assert body =~ ~s("providerName":"Amazon")

    assert {400, ~s({"message":"Could not find model with identifier amazon.nova-9"})} =
             get.("/foundation-models/amazon.nova-9")

    GenServer.stop(pid)

    assert {:error, {:emulator_start_failed, message}} =
             Emulator.start_link(
               application_profiles: [%{id: "x1", name: "x", model_source: "amazon.nova-9"}]
             )

    assert message =~ "model_source"
  end

  test "options are validated" do
    assert_raise ArgumentError, fn -> Emulator.start_link(bogus: 1) end
  end

  test "Nova Sonic settings reach the native config and are checked" do
    Process.flag(:trap_exit, true)
    assert {:ok, pid} = Emulator.start_link(sonic: [connection_limit_ms: 2_000, speed: 4.0])
    GenServer.stop(pid)

    assert {:error, {:emulator_start_failed, message}} = Emulator.start_link(sonic: %{speed: 0})
    assert message =~ "sonic.speed"

    assert {:error, {:emulator_start_failed, message}} =
             Emulator.start_link(sonic: %{turn_silence_ms: "soon"})

    assert message =~ "invalid emulator config"
  end

  test "temporary credentials carry a session token; any other token is rejected",
       %{emulator: emulator, url: url} do
    temp = Emulator.credentials(emulator, :temporary)
    assert temp.access_key_id =~ ~r/^ASIA[A-Z2-7]{16}$/
    assert is_binary(temp.session_token) and byte_size(temp.session_token) > 100

    request = %{
      model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
      messages: [%{role: :user, content: "What are your opening hours?"}]
    }

    opts = [endpoint: url, region: "us-east-1"]
    assert {:ok, _} = Aybiza.Bedrock.converse(request, [credentials: temp] ++ opts)

    for bad <- [
          %{temp | session_token: "FwoGZXIvYXdzEBogus"},
          Map.put(Emulator.credentials(emulator) |> Map.delete(:api_key), :session_token, "x")
        ] do
      assert {:error, %Aybiza.Error{}} =
               Aybiza.Bedrock.converse(request, [credentials: bad] ++ opts)
    end

    assert Emulator.counters(emulator)["converse"]["auth_error"] == 2
  end

  test "TLS listener: HTTPS with the generated CA, Messages API over SSE" do
    emulator = start_supervised!({Emulator, tls: true, api_key: "tls-key"}, id: :tls_emulator)
    assert Emulator.tls_url(emulator) =~ ~r{^https://127\.0\.0\.1:\d+$}
    pem = Emulator.ca_pem(emulator)
    assert [{:Certificate, ca_der, :not_encrypted}] = :public_key.pem_decode(pem)

    {:ok, _} = Application.ensure_all_started(:ssl)
    url = String.replace(Emulator.tls_url(emulator), "127.0.0.1", "localhost")

    body =
      ~s({"model":"anthropic.claude-haiku-4-5","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"What are your opening hours?"}]})

    request =
      {String.to_charlist(url <> "/anthropic/v1/messages"),
       [{~c"x-api-key", ~c"tls-key"}, {~c"anthropic-version", ~c"2023-06-01"}],
       ~c"application/json", body}

    ssl = [verify: :verify_peer, cacerts: [ca_der], server_name_indication: ~c"localhost"]

    assert {:ok, {{_, 200, _}, headers, sse}} =
             :httpc.request(:post, request, [timeout: 5_000, ssl: ssl], body_format: :binary)

    assert {~c"content-type", ~c"text/event-stream"} in headers
    assert sse =~ "event: message_start\n"
    assert sse =~ "event: message_stop\n"
    assert Emulator.counters(emulator)["mantle-messages-stream"]["ok"] == 1

    # Without the CA the handshake fails.
    port = url |> URI.parse() |> Map.fetch!(:port)

    assert {:error, _} =
             :ssl.connect(
               ~c"localhost",
               port,
               [verify: :verify_peer, cacerts: [], server_name_indication: ~c"localhost"],
               5_000
             )
  end
end
