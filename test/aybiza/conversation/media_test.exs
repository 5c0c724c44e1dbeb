defmodule Aybiza.Conversation.MediaTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Media

  defp png(w, h),
    do: <<0x89, "PNG", 0x0D, 0x0A, 0x1A, 0x0A, 13::32, "IHDR", w::32, h::32, 8, 6, 0, 0, 0>>

  defp gif(w, h), do: <<"GIF89a", w::little-16, h::little-16, 0, 0, 0>>

  defp jpeg(w, h),
    do:
      <<0xFF, 0xD8, 0xFF, 0xE0, 16::16, 0::size(14)-unit(8), 0xFF, 0xC0, 17::16, 8, h::16, w::16,
        3>>

  defp webp(w, h),
    do:
      <<"RIFF", 0::32, "WEBP", "VP8X", 10::little-32, 0::32, w - 1::little-24, h - 1::little-24>>

  test "image/2 detects the format from magic bytes and reads dimensions" do
    assert {:ok, %{image: %{format: :png}}} = Media.image(png(10, 10))
    assert {:ok, %{image: %{format: :gif}}} = Media.image(gif(10, 10))
    assert {:ok, %{image: %{format: :jpeg}}} = Media.image(jpeg(640, 480))
    assert {:ok, %{image: %{format: :webp}}} = Media.image(webp(100, 50))
    assert Media.dimensions(:jpeg, jpeg(640, 480)) == {640, 480}
    assert Media.dimensions(:webp, webp(100, 50)) == {100, 50}
    assert {:ok, _} = Media.image(png(10, 10), format: "png")
  end

  test "image/2 rejects mismatches, unknown bytes, oversize and too many pixels" do
    assert {:error, %Aybiza.Error{reason: :invalid_request, message: m}} =
             Media.image(png(10, 10), format: :jpeg)

    assert m =~ "image.format is jpeg but the bytes are png"
    assert {:error, %{message: m}} = Media.image("hello")
    assert m =~ "not png, jpeg, gif or webp"
    assert {:error, %{message: m}} = Media.image(png(8001, 10))
    assert m =~ "8000"
    big = png(10, 10) <> :binary.copy(<<0>>, 3_932_161)
    assert {:error, %{message: m}} = Media.image(big)
    assert m =~ "at most 3932160"
    assert_raise ArgumentError, ~r/:format/, fn -> Media.image(png(1, 1), format: :bmp) end
  end

  test "document/3 validates format, name, size and magic bytes" do
    assert {:ok, %{document: %{format: :pdf, name: "Policy (v2)"}}} =
             Media.document("%PDF-1.7 ...", "Policy (v2)", :pdf)

    assert {:ok, %{document: %{format: :md}}} = Media.document("# Hi", "Notes", "md")
    assert {:error, %{message: m}} = Media.document("not a pdf", "Policy", :pdf)
    assert m =~ "not a PDF"
    assert {:error, %{message: m}} = Media.document("x", "Policy", :exe)
    assert m =~ "document.format"
    assert {:error, %{message: m}} = Media.document("x", "bad/name.txt", :txt)
    assert m =~ "document.name"
    assert {:error, %{message: m}} = Media.document(<<0xFF, 0xFE>>, "Data", :csv)
    assert m =~ "UTF-8"
    assert {:error, %{message: m}} = Media.document(:binary.copy("a", 4_718_593), "Big", :txt)
    assert m =~ "at most 4718592"
  end

  test "per-request counts: 20 images, 5 documents" do
    img = Media.image!(png(2, 2))

    assert {:ok, %{role: :user, content: content}} =
             Media.user_message("What is this?", List.duplicate(img, 20))

    assert List.last(content) == %{text: "What is this?"}
    assert {:error, %{message: m}} = Media.user_message("x", List.duplicate(img, 21))
    assert m =~ "at most 20 images"
    doc = Media.document!("hello", "Doc", :txt)
    assert {:error, %{message: m}} = Media.user_message("x", List.duplicate(doc, 6))
    assert m =~ "at most 5 documents"
  end
end
