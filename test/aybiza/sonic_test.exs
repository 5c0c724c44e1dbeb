defmodule Aybiza.SonicTest do
  # Nova Sonic sessions without a model: options refused before any network, bad input at
  # the handle, and every way a session ends (close, receiver death, handle dropped) ending
  # it once and freeing it. The emulator's bidirectional route is exercised in
  # sonic_emulator_test.exs.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{Sonic, Tool}
  alias Aybiza.Error

  # Other modules assert live_streams() == 0: leave no session running behind.
  setup do
    on_exit(fn ->
      Enum.find_value(1..250, fn _ ->
        if Sonic.live_sessions() == 0, do: true, else: Process.sleep(20) && nil
      end)
    end)
  end

  @creds {:static, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

  # A listener that accepts and never answers: a session stays "connecting" on it.
  defp silent_endpoint do
    {:ok, socket} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
    {:ok, port} = :inet.port(socket)
    {socket, "http://127.0.0.1:#{port}"}
  end

  defp opts(endpoint, extra \\ []) do
    [region: "us-east-1", endpoint: endpoint, credentials: @creds, timeouts: [first_byte: 30_000]] ++
      extra
  end

  defp terminal(session, timeout \\ 5_000) do
    receive do
      {:aybiza_bedrock, ^session, {:done, _} = t} -> t
      {:aybiza_bedrock, ^session, {:error, _} = t} -> t
    after
      timeout -> flunk("no terminal for the session within #{timeout} ms")
    end
  end

  defp wait_until(fun, tries \\ 100) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("condition never held")
      true -> Process.sleep(20) && wait_until(fun, tries - 1)
    end
  end

  test "options are checked before any network" do
    {sock, url} = silent_endpoint()

    cases = [
      {[model: "amazon.nova-sonic-v1:0"], :model_end_of_life},
      {[model: "amazon.nova-pro-v1:0"], :invalid_request},
      {[model: "amazon.nova-7-sonic"], :unknown_model},
      {[input_sample_rate: 44_100], :invalid_request},
      {[output_sample_rate: 48_000], :invalid_request},
      {[voice: "Bad Voice"], :invalid_request},
      {[history: [%{role: :system, text: "x"}]], :invalid_request},
      {[endpointing_sensitivity: "extreme"], :invalid_request},
      {[inference: [temperature: 3.0]], :invalid_request},
      {[reconnect_after: 10_000_000], :invalid_request}
    ]

    for {extra, reason} <- cases do
      assert {:error, %Error{reason: ^reason}} = Sonic.start_session(opts(url, extra)),
             inspect(extra)
    end

    assert {:error, %Error{reason: :invalid_region, message: msg}} =
             Sonic.start_session(Keyword.put(opts(url), :region, "eu-west-1"))

    assert msg =~ "us-east-1"

    assert {:error, %Error{reason: :invalid_credentials, message: msg}} =
             Sonic.start_session(Keyword.put(opts(url), :credentials, {:api_key, "ABSK-key"}))

    assert msg =~ "API keys"
    assert_raise ArgumentError, ~r/:voyce/, fn -> Sonic.start_session(opts(url, voyce: "x")) end

    assert_raise ArgumentError, ~r/Tool/, fn ->
      Sonic.start_session(opts(url, tools: [%{name: "x"}]))
    end

    # Terms no caller should send: a clear error or ArgumentError, never a crash.
    assert_raise ArgumentError, ~r/proper list/, fn ->
      Sonic.start_session(opts(url, history: [{:user, "a"} | :tail]))
    end

    assert_raise ArgumentError, ~r/proper list/, fn ->
      Sonic.start_session(opts(url, tools: [:a | :b]))
    end

    assert {:error, %Error{reason: :invalid_request}} =
             Sonic.start_session(opts(url, history: [{:user, <<0xFF, 0xFE>>}]))

    assert {:error, %Error{reason: :invalid_request}} =
             Sonic.start_session(opts(url, input_sample_rate: 10 ** 40))

    assert {:error, %Error{reason: :invalid_request}} =
             Sonic.start_session(opts(url, system_prompt: :binary.copy("x", 100_001)))

    refute_received {:aybiza_bedrock, _, _}
    :gen_tcp.close(sock)
  end

  test "bad input is refused at once and the session stays usable; close ends it once" do
    {sock, url} = silent_endpoint()
    {:ok, s} = Sonic.start_session(opts(url))

    assert {:error, %Error{reason: :invalid_request, message: m}} =
             Sonic.send_audio(s, <<0, 0, 0>>)

    assert m =~ "odd"

    assert {:error, %Error{reason: :invalid_request, message: m}} =
             Sonic.send_audio(s, <<0::size(640)-unit(8)>>, rate: 24_000)

    assert m =~ "16000"
    assert {:error, %Error{reason: :invalid_request}} = Sonic.send_audio(s, <<>>)

    assert {:error, %Error{reason: :invalid_request}} =
             Sonic.send_audio(s, :binary.copy(<<0>>, 64_000))

    assert {:error, %Error{message: m}} = Sonic.end_turn(s)
    assert m =~ "no audio turn"

    assert {:error, %Error{message: m}} =
             Sonic.send_tool_result(s, "tooluse-unknown", %{"ok" => 1})

    assert m =~ "tooluse-unknown"
    assert {:error, %Error{message: m}} = Sonic.send_text(s, <<0xFF, 0xFE>>)
    assert m =~ "UTF-8"
    assert_raise ArgumentError, fn -> Sonic.send_audio(s, "ab", rate: -1) end
    assert_raise Error, fn -> Sonic.send_audio!(s, <<1>>) end

    # Still usable: a good frame is queued, then the turn can end.
    assert :ok = Sonic.send_audio(s, <<0::size(1024)-unit(8)>>, rate: 16_000)
    assert :ok = Sonic.end_turn(s)

    assert Sonic.live_sessions() >= 1
    assert :ok = Sonic.close(s)
    assert {:done, summary} = terminal(s)
    assert summary.connections == 0
    assert summary.model_id == "amazon.nova-2-sonic-v1:0"
    assert :ok = Sonic.close(s)
    assert {:error, %Error{message: "the session is closed"}} = Sonic.send_audio(s, <<0, 0>>)
    assert {:error, %Error{message: "the session is closed"}} = Sonic.send_text(s, "hi")
    refute_receive {:aybiza_bedrock, ^s, _}, 100
    :gen_tcp.close(sock)
  end

  test "every call after close answers the same clear error; nothing is sent" do
    {sock, url} = silent_endpoint()
    {:ok, s} = Sonic.start_session(opts(url))
    assert :ok = Sonic.close(s)
    assert {:done, _} = terminal(s)

    closed = {:error, %Error{reason: :invalid_request, message: "the session is closed"}}

    for call <- [
          fn -> Sonic.send_audio(s, <<0::size(640)-unit(8)>>) end,
          fn -> Sonic.send_text(s, "hello") end,
          fn -> Sonic.send_tool_result(s, "tooluse-1", %{"ok" => true}) end,
          fn -> Sonic.end_turn(s) end
        ] do
      assert match?(^closed, call.())
    end

    assert_raise Error, ~r/closed/, fn -> Sonic.end_turn!(s) end
    assert :ok = Sonic.close(s)
    refute_receive {:aybiza_bedrock, ^s, _}, 100
    :gen_tcp.close(sock)
  end

  test "text input on a speech model without it is refused; the session stays usable" do
    # A catalog override stands in for such a model (Nova Sonic v1, the one published, is
    # past its end of life): the session reads the capability from the catalog.
    model = %{
      id: "example.sonic-audio-only-v1:0",
      context_window: 300_000,
      max_output_tokens: 1_024,
      apis: ["bidirectional"],
      regions: ["us-east-1"],
      speech: %{
        text_input: false,
        endpointing: false,
        input_rates: [16_000],
        output_rates: [24_000]
      }
    }

    {:ok, _} = Aybiza.Bedrock.Catalog.put_overrides(%{models: [model]})
    on_exit(fn -> Aybiza.Bedrock.Catalog.put_overrides(nil) end)
    {sock, url} = silent_endpoint()
    {:ok, s} = Sonic.start_session(opts(url, model: model.id))

    assert {:error, %Error{reason: :invalid_request, message: m}} = Sonic.send_text(s, "hello")
    assert m =~ "takes no text input"
    # Its other limits come from the catalog too.
    assert {:error, %Error{reason: :invalid_request}} =
             Sonic.start_session(opts(url, model: model.id, input_sample_rate: 8_000))

    assert {:error, %Error{reason: :invalid_request, message: m}} =
             Sonic.start_session(opts(url, model: model.id, endpointing_sensitivity: :high))

    assert m =~ "turn-detection"

    assert {:error, %Error{reason: :invalid_region}} =
             Sonic.start_session(Keyword.put(opts(url, model: model.id), :region, "us-west-2"))

    assert :ok = Sonic.send_audio(s, <<0::size(1024)-unit(8)>>)
    assert :ok = Sonic.close(s)
    assert {:done, _} = terminal(s)
    :gen_tcp.close(sock)
  end

  test "random frames, rates and hostile tool results never crash; every answer is :ok or an error" do
    {sock, url} = silent_endpoint()
    {:ok, s} = Sonic.start_session(opts(url, input_queue: 10_000))
    :rand.seed(:exsss, {1, 2, 3})

    for _ <- 1..300 do
      size =
        Enum.random([0, 1, 2, 3, 640, 641, 1024, 31_999, 32_000, 32_001, :rand.uniform(70_000)])

      rate = Enum.random([[], [rate: 16_000], [rate: 8_000], [rate: :rand.uniform(100_000)]])
      pcm = :crypto.strong_rand_bytes(size)

      case Sonic.send_audio(s, pcm, rate) do
        :ok -> assert rem(size, 2) == 0 and size in 2..32_000
        {:error, %Error{reason: r}} -> assert r in [:invalid_request, :overloaded]
      end
    end

    deep = Enum.reduce(1..100_000, "x", fn _, acc -> [acc] end)

    for result <- [deep, {1, 2}, %{{:a} => 1}, <<0xFF>>, 10 ** 400, [1 | 2]] do
      # Refused while converting, before the (unknown) id is even looked up.
      assert {:error, %Error{reason: :invalid_request, message: "the tool result" <> _}} =
               Sonic.send_tool_result(s, "some-id", result)
    end

    Sonic.close(s)
    assert {:done, _} = terminal(s)
    :gen_tcp.close(sock)
  end

  test "the receiver's death cancels the session and frees it" do
    {sock, url} = silent_endpoint()
    before = Sonic.live_sessions()
    parent = self()

    receiver =
      spawn(fn ->
        receive do
          :stop -> :ok
        end
      end)

    {:ok, s} = Sonic.start_session(opts(url, to: receiver))
    send(parent, {:started, s})
    assert Sonic.live_sessions() == before + 1
    send(receiver, :stop)
    wait_until(fn -> Sonic.live_sessions() == before end)
    assert {:error, %Error{message: "the session is closed"}} = Sonic.send_audio(s, <<0, 0>>)
    :gen_tcp.close(sock)
  end

  test "an unreachable endpoint ends with one error; tools get a runner that stops too" do
    tool =
      Tool.new!(
        name: "get_time",
        description: "The time",
        input_schema: %{"type" => "object"},
        execute: fn _ -> {:ok, "noon"} end
      )

    {:ok, s} =
      Sonic.start_session(
        region: "us-east-1",
        endpoint: "http://127.0.0.1:9",
        credentials: @creds,
        tools: [tool]
      )

    assert {:error, %Error{reason: reason, phase: :before_stream}} = terminal(s)
    assert reason in [:connect, :connect_timeout]
    refute_receive {:aybiza_bedrock, ^s, _}, 100
  end

  test "models are the catalog's speech-to-speech entries: regions, capabilities, prices" do
    models = Map.new(Sonic.models(), &{&1.id, &1})
    nova2 = models["amazon.nova-2-sonic-v1:0"]
    assert "us-east-1" in nova2.regions and nova2.speech.text_input and nova2.eol_date == nil
    assert nova2.apis == [:bidirectional] and nova2.prices == nil
    assert nova2.speech.prices.speech_output.usd_per_mtok == "12.00"
    assert [_ | _] = nova2.sources
    v1 = models["amazon.nova-sonic-v1:0"]
    assert v1.eol_date == "2026-09-14" and v1.replacement == "amazon.nova-2-sonic-v1:0"
    refute v1.speech.text_input
    # Nova 2.5 Sonic: an id a page states, no published price (nil, not a guess).
    assert models["amazon.nova-2-5-sonic"].speech.prices == nil
    # One source of truth: the same entries as the catalog's.
    catalog_speech = for m <- Aybiza.Bedrock.Catalog.models(), :bidirectional in m.apis, do: m.id
    assert Enum.sort(catalog_speech) == Enum.sort(Map.keys(models))
  end

  test "a Sonic session refuses a text model; the text paths refuse a Sonic model" do
    assert {:error, %Error{reason: :invalid_request} = e} =
             Sonic.start_session(
               model: "amazon.nova-2-lite-v1:0",
               region: "us-east-1",
               endpoint: "http://127.0.0.1:9",
               credentials: @creds
             )

    assert e.message =~ "text model"

    assert {:error, %Error{reason: :unknown_model}} =
             Sonic.start_session(
               model: "us.amazon.nova-2-sonic-v1:0",
               region: "us-east-1",
               endpoint: "http://127.0.0.1:9",
               credentials: @creds
             )

    request = %{
      model_id: "amazon.nova-2-sonic-v1:0",
      messages: [%{role: "user", content: [%{text: "hi"}]}]
    }

    opts = [region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: @creds]

    for call <- [&Aybiza.Bedrock.converse/2, &Aybiza.Bedrock.stream/2] do
      assert {:error, %Error{reason: :invalid_request} = e} = call.(request, opts)
      assert e.message =~ "speech-to-speech" and e.message =~ "Sonic.start_session"
    end

    assert {:error, %Error{reason: :invalid_request} = e} =
             Aybiza.Bedrock.invoke_model("amazon.nova-2-sonic-v1:0", %{"x" => 1}, opts)

    assert e.message =~ "InvokeModelWithBidirectionalStream"

    assert {:error, %Error{reason: :invalid_request} = e} =
             Aybiza.Bedrock.cost("amazon.nova-2-sonic-v1:0", %{input_tokens: 1})

    assert e.message =~ "Sonic.cost/2"
    assert Aybiza.Bedrock.Catalog.serves?("amazon.nova-2-sonic-v1:0", :bidirectional)
    refute Aybiza.Bedrock.Catalog.serves?("amazon.nova-2-sonic-v1:0", :converse)
  end

  test "cost prices each kind of token, at the catalog's prices unless the caller's" do
    usage = %{
      input_speech_tokens: 1_000_000,
      output_speech_tokens: 1_000_000,
      input_text_tokens: 2_000_000,
      output_text_tokens: 0
    }

    prices = %{speech_input: 3.0, speech_output: 12.0, text_input: 0.5, text_output: 2.0}
    assert Sonic.cost(usage, prices) == 16_000_000_000
    assert_raise ArgumentError, fn -> Sonic.cost(%{input_speech_tokens: -1}, prices) end

    # Catalog prices (Nova 2 Sonic: $3 / $12 speech, $0.33 / $2.75 text per MTok).
    assert Sonic.cost(usage) == 3_000_000_000 + 12_000_000_000 + 660_000_000
    # A summary is priced at its model; one caller price overrides only its own kind.
    summary = %{model_id: "amazon.nova-2-sonic-v1:0", usage: usage}
    assert Sonic.cost(summary) == Sonic.cost(usage, "amazon.nova-2-sonic-v1:0")
    assert Sonic.cost(summary, %{text_input: 0.0}) == 15_000_000_000
    # One speech output token: $12 / 1e6 = 12,000 nanodollars.
    assert Sonic.cost(%{output_speech_tokens: 1}) == 12_000
    assert Sonic.cost(%{input_text_tokens: 1}) == 330
    # No published price for Nova 2.5 Sonic: the caller's are needed, never a guess.
    assert_raise ArgumentError, ~r/no published speech_input price/, fn ->
      Sonic.cost(usage, "amazon.nova-2-5-sonic")
    end

    assert Sonic.cost(usage, Map.put(prices, :model, "amazon.nova-2-5-sonic")) == 16_000_000_000
    assert Sonic.cost(%{}, "amazon.nova-2-5-sonic") == 0

    assert_raise ArgumentError, ~r/not a speech-to-speech model/, fn ->
      Sonic.cost(usage, "amazon.nova-2-lite-v1:0")
    end
  end
end
