defmodule Aybiza.Bedrock.EmulatorTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Emulator

  @model_path "/model/anthropic.claude-3-haiku-20240307-v1%3A0"
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

  test "options are validated" do
    assert_raise ArgumentError, fn -> Emulator.start_link(bogus: 1) end
  end
end
