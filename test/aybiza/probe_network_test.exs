defmodule Aybiza.ProbeNetworkTest do
  # A hostile server on 127.0.0.1 against the Converse (event stream) and Messages API (SSE)
  # paths: a header that never ends, one event that never ends (64 MB without a frame or
  # line end), an event-stream prelude announcing a 2 GB frame, garbage frames, a frame with
  # a valid checksum and invalid JSON, and an endless stream of valid keep-alive events.
  # Each call ends with exactly one terminal `{:error, %Aybiza.Error{}}`, within its
  # timeouts, and the VM's resident memory does not grow by what the server sent (64 MB per
  # connection; an answer is capped at 16 MiB, one event at 1 MiB).
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock

  @moduletag timeout: 300_000

  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"
  @opus "anthropic.claude-opus-4-7"
  @chunk :binary.copy("a", 65_536)
  # What a hostile server sends at most per connection.
  @flood_bytes 64 * 1024 * 1024

  defmodule Hostile do
    @moduledoc false
    # Accepts connections; for each, reads the request head and body, then runs `script`
    # with the socket.
    def start(script) do
      {:ok, listen} =
        :gen_tcp.listen(0, [:binary, active: false, reuseaddr: true, ip: {127, 0, 0, 1}])

      {:ok, port} = :inet.port(listen)
      pid = spawn(fn -> accept(listen, script) end)
      :ok = :gen_tcp.controlling_process(listen, pid)
      {pid, "http://127.0.0.1:#{port}"}
    end

    defp accept(listen, script) do
      case :gen_tcp.accept(listen) do
        {:ok, sock} ->
          handler = spawn(fn -> receive(do: (:go -> handle(sock, script))) end)
          :ok = :gen_tcp.controlling_process(sock, handler)
          send(handler, :go)
          accept(listen, script)

        {:error, _} ->
          :ok
      end
    end

    defp handle(sock, script) do
      with {:ok, head, rest} <- read_head(sock, ""),
           length = content_length(head),
           :ok <- drain(sock, length - byte_size(rest)) do
        script.(sock)
      end

      :gen_tcp.close(sock)
    end

    defp read_head(sock, acc) do
      case :binary.split(acc, "\r\n\r\n") do
        [head, rest] ->
          {:ok, head, rest}

        [_] ->
          case :gen_tcp.recv(sock, 0, 10_000) do
            {:ok, data} -> read_head(sock, acc <> data)
            error -> error
          end
      end
    end

    defp content_length(head) do
      case Regex.run(~r/content-length:\s*(\d+)/i, head) do
        [_, n] -> String.to_integer(n)
        _ -> 0
      end
    end

    defp drain(_sock, left) when left <= 0, do: :ok

    defp drain(sock, left) do
      case :gen_tcp.recv(sock, 0, 10_000) do
        {:ok, data} -> drain(sock, left - byte_size(data))
        error -> error
      end
    end
  end

  # --- event-stream frames (application/vnd.amazon.eventstream) ---

  defp frame(headers, payload) do
    hdrs =
      for {k, v} <- headers, into: <<>> do
        <<byte_size(k)::8, k::binary, 7::8, byte_size(v)::16, v::binary>>
      end

    total = 12 + byte_size(hdrs) + byte_size(payload) + 4
    prelude = <<total::32, byte_size(hdrs)::32>>
    body = prelude <> <<:erlang.crc32(prelude)::32>> <> hdrs <> payload
    body <> <<:erlang.crc32(body)::32>>
  end

  defp event(type, payload) do
    frame(
      [{":event-type", type}, {":content-type", "application/json"}, {":message-type", "event"}],
      payload
    )
  end

  defp head(content_type, extra \\ "") do
    "HTTP/1.1 200 OK\r\ncontent-type: #{content_type}\r\nx-amzn-requestid: rid\r\n" <>
      extra <> "transfer-encoding: chunked\r\n\r\n"
  end

  defp chunk(data), do: [Integer.to_string(byte_size(data), 16), "\r\n", data, "\r\n"]

  # Sends `piece` (chunked when `chunked?`) until @flood_bytes went out or the peer left.
  defp flood(sock, piece, chunked?, sent \\ 0)
  defp flood(_sock, _piece, _chunked?, sent) when sent >= @flood_bytes, do: :ok

  defp flood(sock, piece, chunked?, sent) do
    data = if chunked?, do: chunk(piece), else: piece

    case :gen_tcp.send(sock, data) do
      :ok -> flood(sock, piece, chunked?, sent + byte_size(piece))
      {:error, _} -> :ok
    end
  end

  defp endless_header(content_type) do
    fn sock ->
      :gen_tcp.send(sock, "HTTP/1.1 200 OK\r\ncontent-type: #{content_type}\r\nx-junk: ")
      flood(sock, @chunk, false)
    end
  end

  defp scripts(:converse) do
    es = "application/vnd.amazon.eventstream"

    [
      {"a header that never ends", endless_header(es)},
      {"a 2 GB frame announced",
       fn sock ->
         :gen_tcp.send(sock, head(es))
         prelude = <<0x7FFFFFF0::32, 0::32>>
         :gen_tcp.send(sock, chunk(prelude <> <<:erlang.crc32(prelude)::32>>))
         flood(sock, @chunk, true)
       end},
      {"garbage frames",
       fn sock ->
         :gen_tcp.send(sock, head(es))
         flood(sock, :crypto.strong_rand_bytes(65_536), true)
       end},
      {"a valid frame with invalid JSON",
       fn sock ->
         :gen_tcp.send(sock, head(es))
         :gen_tcp.send(sock, chunk(event("messageStart", ~s({"role":"assistant"}))))
         :gen_tcp.send(sock, chunk(event("contentBlockDelta", "{nope")))
         :gen_tcp.send(sock, "0\r\n\r\n")
       end},
      {"a 40 MB frame of valid JSON",
       fn sock ->
         :gen_tcp.send(sock, head(es))
         text = :binary.copy("a", 40 * 1024 * 1024)
         delta = ~s({"contentBlockIndex":0,"delta":{"text":") <> text <> ~s("}})
         :gen_tcp.send(sock, chunk(event("contentBlockDelta", delta)))
         :gen_tcp.send(sock, "0\r\n\r\n")
       end},
      {"an endless stream of text deltas",
       fn sock ->
         :gen_tcp.send(sock, head(es))
         :gen_tcp.send(sock, chunk(event("messageStart", ~s({"role":"assistant"}))))
         text = :binary.copy("word ", 200)

         delta =
           event("contentBlockDelta", ~s({"contentBlockIndex":0,"delta":{"text":"#{text}"}}))

         flood(sock, :binary.copy(delta, 50), true)
       end},
      {"an endless stream of empty deltas",
       fn sock ->
         :gen_tcp.send(sock, head(es))
         :gen_tcp.send(sock, chunk(event("messageStart", ~s({"role":"assistant"}))))
         delta = event("contentBlockDelta", ~s({"contentBlockIndex":0,"delta":{"text":""}}))
         flood(sock, :binary.copy(delta, 500), true)
       end}
    ]
  end

  defp scripts(:messages) do
    sse = "text/event-stream"

    [
      {"a header that never ends", endless_header(sse)},
      {"an event line that never ends",
       fn sock ->
         :gen_tcp.send(sock, head(sse))
         :gen_tcp.send(sock, chunk("event: content_block_delta\ndata: "))
         flood(sock, @chunk, true)
       end},
      {"garbage bytes",
       fn sock ->
         :gen_tcp.send(sock, head(sse))
         flood(sock, :crypto.strong_rand_bytes(65_536), true)
       end},
      {"invalid JSON in an event",
       fn sock ->
         :gen_tcp.send(sock, head(sse))
         :gen_tcp.send(sock, chunk("event: message_start\ndata: {nope\n\n"))
         :gen_tcp.send(sock, "0\r\n\r\n")
       end},
      {"an endless stream of text deltas",
       fn sock ->
         :gen_tcp.send(sock, head(sse))

         start =
           ~s(event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"x","usage":{"input_tokens":1,"output_tokens":1}}}\n\n) <>
             ~s(event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n)

         :gen_tcp.send(sock, chunk(start))
         text = :binary.copy("word ", 200)

         delta =
           ~s(event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"#{text}"}}\n\n)

         flood(sock, :binary.copy(delta, 50), true)
       end},
      {"an endless stream of pings",
       fn sock ->
         :gen_tcp.send(sock, head(sse))
         flood(sock, :binary.copy("event: ping\ndata: {\"type\": \"ping\"}\n\n", 2_000), true)
       end}
    ]
  end

  test "hostile non-streaming answers (Converse, InvokeModel): an endless body is bounded" do
    json_flood = fn sock ->
      :gen_tcp.send(sock, head("application/json"))

      :gen_tcp.send(
        sock,
        chunk(~s({"output":{"message":{"role":"assistant","content":[{"text":"))
      )

      flood(sock, @chunk, true)
    end

    {server, url} = Hostile.start(json_flood)
    :erlang.garbage_collect()
    before = rss_kb()

    opts = [
      endpoint: url,
      region: "us-east-1",
      credentials: {:static, "AKIDEXAMPLE", "s3cr3t-key"},
      timeouts: [connect: 2_000, first_byte: 5_000, idle: 5_000, total: 20_000]
    ]

    converse = Bedrock.converse(request(@haiku), opts)
    invoke = Bedrock.invoke_model(@haiku, %{"max_tokens" => 10, "messages" => []}, opts)
    Process.exit(server, :kill)
    grown_mb = div(rss_kb() - before, 1024)

    assert {:error, %Aybiza.Error{}} = converse
    assert {:error, %Aybiza.Error{}} = invoke
    assert grown_mb <= 160, "resident memory grew by #{grown_mb} MB"
  end

  defp request(model),
    do: %{
      model_id: model,
      messages: [%{role: :user, content: "hi"}],
      inference_config: %{max_tokens: 100}
    }

  defp rss_kb do
    "/proc/self/status"
    |> File.read!()
    |> then(&Regex.run(~r/VmRSS:\s+(\d+) kB/, &1))
    |> then(fn [_, kb] -> String.to_integer(kb) end)
  end

  for api <- [:converse, :messages] do
    test "hostile #{api} servers: one terminal error, bounded memory" do
      api = unquote(api)
      model = if api == :converse, do: @haiku, else: @opus

      failures =
        for {what, script} <- scripts(api),
            why = run_case(model, script, expected(what)),
            why != :ok do
          "#{what}: #{why}"
        end

      assert failures == []

      assert Enum.find_value(1..200, fn _ ->
               Bedrock.live_streams() == 0 || (Process.sleep(20) && nil)
             end)
    end
  end

  # What the error must say where the cause is ours to name.
  defp expected("an endless stream of text deltas"), do: ~r/more than 16777216 bytes/
  # Refused at its prelude, over the protocol's 16 MiB frame maximum, before it is buffered.
  defp expected("a 40 MB frame of valid JSON"), do: ~r/a frame of 4194\d{4} bytes/
  defp expected(_), do: nil

  defp run_case(model, script, expect) do
    {server, url} = Hostile.start(script)
    :erlang.garbage_collect()
    before = rss_kb()

    opts = [
      endpoint: url,
      region: "us-east-1",
      credentials: {:static, "AKIDEXAMPLE", "s3cr3t-key"},
      timeouts: [connect: 2_000, first_byte: 5_000, idle: 5_000, total: 10_000]
    ]

    started = System.monotonic_time(:millisecond)
    {:ok, ref} = Bedrock.stream(request(model), opts)
    terminal = terminal(ref, 30_000)
    ms = System.monotonic_time(:millisecond) - started

    late =
      receive do
        {:aybiza_bedrock, ^ref, e} -> e
      after
        200 -> nil
      end

    Process.exit(server, :kill)
    :erlang.garbage_collect()
    grown_mb = div(rss_kb() - before, 1024)

    cond do
      terminal == :none ->
        "no terminal within 30 s"

      not match?({:error, %Aybiza.Error{}}, terminal) ->
        "ended #{inspect(terminal, limit: 5)}"

      late != nil ->
        "an event after the terminal"

      grown_mb > 160 ->
        "resident memory grew by #{grown_mb} MB (#{ms} ms)"

      expect && not (elem(terminal, 1).message =~ expect) ->
        "ended #{inspect(terminal, limit: 5)}"

      true ->
        :ok
    end
  end

  defp terminal(ref, timeout) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = t} -> t
      {:aybiza_bedrock, ^ref, {:error, _} = t} -> t
      {:aybiza_bedrock, ^ref, _} -> terminal(ref, timeout)
    after
      timeout -> :none
    end
  end
end
