defmodule Aybiza.ProbeShardsTest do
  # Red-team pass over the engine's shards (N single-threaded runtimes, a call placed once on
  # the least-loaded one): thousands of calls started against a server that never answers,
  # or stalls mid-frame, by processes that then die. Every task must end when its owner
  # dies (the resource's monitor), not at the call's timeouts, so abandoned calls cannot
  # pile up on a shard.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"
  @moduletag timeout: 180_000

  # Accepts connections and answers each with `reply` (once the request head arrived), then
  # holds it open without another byte.
  defp stalling_server(reply) do
    {:ok, listen} =
      :gen_tcp.listen(0, [
        :binary,
        active: false,
        reuseaddr: true,
        backlog: 4096,
        ip: {127, 0, 0, 1}
      ])

    {:ok, port} = :inet.port(listen)
    parent = self()

    server =
      spawn_link(fn ->
        accept = fn accept, held ->
          case :gen_tcp.accept(listen, 100) do
            {:ok, sock} ->
              if reply != "" do
                _ = :gen_tcp.recv(sock, 0, 1_000)
                :gen_tcp.send(sock, reply)
              end

              accept.(accept, [sock | held])

            {:error, :timeout} ->
              receive do
                :stop -> Enum.each(held, &:gen_tcp.close/1)
              after
                0 -> accept.(accept, held)
              end
          end
        end

        send(parent, :listening)
        accept.(accept, [])
      end)

    assert_receive :listening
    {server, "http://127.0.0.1:#{port}"}
  end

  defp frame_head do
    # A prelude announcing a 1,000-byte frame, and a few of its bytes: the call waits for
    # the rest.
    <<1000::32, 0::32, 0::32, "abc">>
  end

  defp wait_until(fun, tries \\ 500) do
    cond do
      fun.() -> true
      tries == 0 -> false
      true -> Process.sleep(20) && wait_until(fun, tries - 1)
    end
  end

  for {what, reply} <- [
        {"never answers", ""},
        {"stalls inside a frame",
         "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n" <>
           "transfer-encoding: chunked\r\n\r\n"}
      ] do
    test "1,000 calls to a server that #{what}, abandoned by their dying owners, all end" do
      reply = unquote(reply)
      reply = if reply == "", do: "", else: reply <> "f\r\n" <> frame_head() <> "\r\n"
      {server, url} = stalling_server(reply)
      base = Bedrock.live_streams()

      opts = [
        endpoint: url,
        region: "us-east-1",
        credentials: {:static, "AKIAPROBESHARDS00000", "PROBE-SECRET"},
        # Far beyond the test: only the owner's death can end these calls in time.
        timeouts: [first_byte: 600_000, idle: 600_000]
      ]

      request = %{model_id: @model, messages: [%{role: :user, content: "Hi"}]}
      parent = self()

      owners =
        for i <- 1..1_000 do
          spawn(fn ->
            {:ok, _ref} = Bedrock.stream(request, opts)
            send(parent, {:started, i})

            receive do
              :die -> exit(:killed_by_test)
            end
          end)
        end

      for i <- 1..1_000, do: assert_receive({:started, ^i}, 30_000)
      # The calls are live (waiting on the server).
      assert wait_until(fn -> Bedrock.live_streams() >= base + 900 end),
             "live #{Bedrock.live_streams()}"

      for pid <- owners, do: Process.exit(pid, :kill)

      assert wait_until(fn -> Bedrock.live_streams() <= base end),
             "still live after the owners died: #{Bedrock.live_streams() - base}"

      send(server, :stop)
    end
  end
end
