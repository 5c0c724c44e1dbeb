defmodule Aybiza.ProbeSonicScheduleTest do
  # The Nova Sonic NIF entry points with 1 MB and 50 MB inputs under
  # `:erlang.system_monitor/2`'s `{:long_schedule, 1}`: none may hold a normal scheduler
  # (send_audio / send_text run on one, so they must refuse an oversized input before they
  # look at its bytes). A case that shows an event is run twice more (a shared machine can
  # preempt a scheduler thread once; a NIF that blocks does it every time).
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{LongSchedule, Sonic}
  alias Aybiza.Error

  @moduletag timeout: 180_000
  @creds {:static, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

  setup do
    # A listener that accepts and never answers: the session stays "connecting".
    {:ok, socket} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
    {:ok, port} = :inet.port(socket)

    opts = [
      region: "us-east-1",
      endpoint: "http://127.0.0.1:#{port}",
      credentials: @creds,
      timeouts: [first_byte: 60_000]
    ]

    {:ok, session} = Sonic.start_session(opts)

    on_exit(fn ->
      Enum.find_value(1..250, fn _ ->
        if Sonic.live_sessions() == 0, do: true, else: Process.sleep(20) && nil
      end)

      :gen_tcp.close(socket)
    end)

    %{session: session, opts: opts}
  end

  # Inputs are built here, outside the measured process.
  defp cases(session, opts, text, pcm) do
    blank = :binary.copy(" ", byte_size(text))
    invalid = <<0xFF>> <> text
    as_map = %{"r" => text}
    history = [{:user, text}]
    prompt_opts = Keyword.put(opts, :system_prompt, text)
    history_opts = Keyword.put(opts, :history, history)
    voice_opts = Keyword.put(opts, :voice, text)
    model_opts = Keyword.put(opts, :model, text)

    [
      {"send_text", fn -> Sonic.send_text(session, text) end},
      {"send_text (whitespace)", fn -> Sonic.send_text(session, blank) end},
      {"send_text (invalid UTF-8)", fn -> Sonic.send_text(session, invalid) end},
      {"send_audio", fn -> Sonic.send_audio(session, pcm) end},
      {"send_audio rate", fn -> Sonic.send_audio(session, pcm, rate: 16_000) end},
      {"send_tool_result", fn -> Sonic.send_tool_result(session, "t1", text) end},
      {"send_tool_result id", fn -> Sonic.send_tool_result(session, text, "ok") end},
      {"send_tool_result map", fn -> Sonic.send_tool_result(session, "t1", as_map) end},
      {"start_session system_prompt", fn -> start_and_close(prompt_opts) end},
      {"start_session history", fn -> start_and_close(history_opts) end},
      {"start_session voice", fn -> start_and_close(voice_opts) end},
      {"start_session model", fn -> start_and_close(model_opts) end}
    ]
  end

  defp start_and_close(opts) do
    case Sonic.start_session(opts) do
      {:ok, s} ->
        Sonic.close(s)
        {:ok, s}

      other ->
        other
    end
  end

  test "no long_schedule event from the Sonic NIFs at 1 MB and 50 MB", %{
    session: session,
    opts: opts
  } do
    mb1 = String.duplicate("Hello there, how are you today? ", 32_768)
    mb50 = :binary.copy(mb1, 50)

    # Warm every path.
    for {_n, fun} <- cases(session, opts, "hi", <<0, 0>>), do: LongSchedule.events_of(fun)

    LongSchedule.monitoring(fn ->
      blocked =
        for text <- [mb1, mb50],
            {name, _fun} <- cases(session, opts, text, text),
            blocks?(name, session, opts, text),
            do: "#{name} with #{div(byte_size(text), 1_000_000)} MB"

      assert blocked == [], "long_schedule events from: #{Enum.join(blocked, "; ")}"
    end)
  end

  test "oversized Sonic inputs are refused with a clear invalid_request", %{session: session} do
    mb1 = :binary.copy("a", 1_000_000)

    assert {:error, %Error{reason: :invalid_request, message: m}} = Sonic.send_text(session, mb1)

    assert m =~ "text input"

    assert {:error, %Error{reason: :invalid_request, message: m}} =
             Sonic.send_text(session, <<0xFF>> <> mb1)

    refute m =~ "aaaa"

    assert {:error, %Error{reason: :invalid_request, message: m}} = Sonic.send_audio(session, mb1)

    assert m =~ "one second"

    assert {:error, %Error{reason: :invalid_request, message: m}} =
             Sonic.send_tool_result(session, mb1, "ok")

    # The id is not echoed back in full.
    assert byte_size(m) < 1_000
  end

  defp blocks?(name, session, opts, text) do
    Enum.all?(1..3, fn _ ->
      {^name, fun} = List.keyfind(cases(session, opts, text, text), name, 0)
      LongSchedule.events_of(fun) != []
    end)
  end
end
