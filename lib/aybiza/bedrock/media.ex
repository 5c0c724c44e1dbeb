defmodule Aybiza.Bedrock.Media do
  @moduledoc """
  Image and document content blocks from bytes, checked against Bedrock's limits before
  anything is sent.

    * Images: png, jpeg, gif, webp; at most 3.75 MB and 8000 px on a side; at most 20
      per request. The format is read from the magic bytes; a declared format that does
      not match them is rejected.
    * Documents: pdf, csv, doc, docx, xls, xlsx, html, txt, md; at most 4.5 MB; at most 5
      per request; the name (what the model sees) is limited to letters, digits, single
      spaces, hyphens, parentheses and square brackets, as Bedrock requires.

      {:ok, image} = Aybiza.Bedrock.Media.image(File.read!("receipt.png"))
      {:ok, doc} = Aybiza.Bedrock.Media.document(pdf_bytes, "Policy", :pdf)
      message = Aybiza.Bedrock.Media.user_message("What does this say?", [image, doc])
  """

  alias Aybiza.Error

  @max_image_bytes 3_932_160
  @max_image_px 8000
  @max_images 20
  @max_document_bytes 4_718_592
  @max_documents 5
  @image_formats [:png, :jpeg, :gif, :webp]
  @document_formats [:pdf, :csv, :doc, :docx, :xls, :xlsx, :html, :txt, :md]

  @doc "Bedrock's limits used here."
  @spec limits() :: map()
  def limits do
    %{
      max_image_bytes: @max_image_bytes,
      max_image_px: @max_image_px,
      max_images: @max_images,
      max_document_bytes: @max_document_bytes,
      max_documents: @max_documents,
      image_formats: @image_formats,
      document_formats: @document_formats
    }
  end

  @doc """
  An image block `%{image: %{format: f, bytes: bytes}}`. The format is detected from the
  bytes; pass `format: f` to assert it (a mismatch is an error).
  """
  @spec image(binary(), keyword()) :: {:ok, map()} | {:error, Error.t()}
  def image(bytes, opts \\ []) when is_binary(bytes) do
    opts = Keyword.validate!(opts, format: nil)
    declared = normalize_image_format(opts[:format])

    with {:ok, detected} <- detect_image(bytes),
         :ok <- match_declared(declared, detected),
         :ok <- check_size(bytes, @max_image_bytes, "image"),
         :ok <- check_dimensions(detected, bytes) do
      {:ok, %{image: %{format: detected, bytes: bytes}}}
    end
  end

  @doc "Like `image/2` but raises `Aybiza.Error`."
  @spec image!(binary(), keyword()) :: map()
  def image!(bytes, opts \\ []), do: unwrap!(image(bytes, opts))

  @doc """
  A document block `%{document: %{format: f, name: name, bytes: bytes}}`. `format` is an
  atom or string among #{inspect(@document_formats)}; a pdf must start with `%PDF`.
  """
  @spec document(binary(), String.t(), atom() | String.t()) :: {:ok, map()} | {:error, Error.t()}
  def document(bytes, name, format) when is_binary(bytes) and is_binary(name) do
    with {:ok, format} <- document_format(format),
         :ok <- check_name(name),
         :ok <- check_size(bytes, @max_document_bytes, "document"),
         :ok <- check_nonempty(bytes),
         :ok <- check_document_magic(format, bytes) do
      {:ok, %{document: %{format: format, name: name, bytes: bytes}}}
    end
  end

  @doc "Like `document/3` but raises `Aybiza.Error`."
  @spec document!(binary(), String.t(), atom() | String.t()) :: map()
  def document!(bytes, name, format), do: unwrap!(document(bytes, name, format))

  @doc """
  A user message with `text` followed by the media `blocks`, after checking the per-request
  counts (at most 20 images and 5 documents).
  """
  @spec user_message(String.t(), [map()]) :: {:ok, map()} | {:error, Error.t()}
  def user_message(text, blocks) when is_binary(text) and is_list(blocks) do
    message = %{role: :user, content: blocks ++ [%{text: text}]}

    with :ok <- check_counts([message]), do: {:ok, message}
  end

  @doc """
  Checks the image and document counts over all messages of a request (Bedrock's limits
  are per request).
  """
  @spec check_counts([map()]) :: :ok | {:error, Error.t()}
  def check_counts(messages) when is_list(messages) do
    # Text content (a string) holds no media; malformed messages are left to validation.
    blocks =
      for message <- messages,
          is_map(message),
          content = Map.get(message, :content) || Map.get(message, "content"),
          is_list(content),
          block <- content,
          is_map(block),
          do: block

    images = Enum.count(blocks, &(Map.has_key?(&1, :image) or Map.has_key?(&1, "image")))
    docs = Enum.count(blocks, &(Map.has_key?(&1, :document) or Map.has_key?(&1, "document")))

    cond do
      images > @max_images ->
        invalid("a request may carry at most #{@max_images} images, got #{images}")

      docs > @max_documents ->
        invalid("a request may carry at most #{@max_documents} documents, got #{docs}")

      true ->
        :ok
    end
  end

  @doc "The image format read from the magic bytes."
  @spec detect_image(binary()) :: {:ok, :png | :jpeg | :gif | :webp} | {:error, Error.t()}
  def detect_image(<<0x89, "PNG", 0x0D, 0x0A, 0x1A, 0x0A, _::binary>>), do: {:ok, :png}
  def detect_image(<<0xFF, 0xD8, 0xFF, _::binary>>), do: {:ok, :jpeg}
  def detect_image(<<"GIF8", v, "a", _::binary>>) when v in [?7, ?9], do: {:ok, :gif}
  def detect_image(<<"RIFF", _size::binary-size(4), "WEBP", _::binary>>), do: {:ok, :webp}
  def detect_image(_), do: invalid("image bytes are not png, jpeg, gif or webp")

  defp normalize_image_format(nil), do: nil
  defp normalize_image_format(f) when f in [:jpg, "jpg", "jpeg"], do: :jpeg
  defp normalize_image_format(f) when f in @image_formats, do: f

  defp normalize_image_format(f) when is_binary(f) do
    case Enum.find(@image_formats, &(Atom.to_string(&1) == f)) do
      nil ->
        raise ArgumentError,
              ":format must be one of #{inspect(@image_formats)}, got: #{Aybiza.Bedrock.Options.shown(f)}"

      atom ->
        atom
    end
  end

  defp normalize_image_format(f),
    do:
      raise(
        ArgumentError,
        ":format must be one of #{inspect(@image_formats)}, got: #{Aybiza.Bedrock.Options.shown(f)}"
      )

  defp match_declared(nil, _), do: :ok
  defp match_declared(same, same), do: :ok

  defp match_declared(declared, detected),
    do: invalid("image.format is #{declared} but the bytes are #{detected}")

  defp check_size(bytes, max, what) do
    if byte_size(bytes) <= max,
      do: :ok,
      else: invalid("#{what} is #{byte_size(bytes)} bytes; Bedrock accepts at most #{max}")
  end

  defp check_nonempty(""), do: invalid("document is empty")
  defp check_nonempty(_), do: :ok

  defp check_dimensions(format, bytes) do
    case dimensions(format, bytes) do
      {w, h} when w > @max_image_px or h > @max_image_px ->
        invalid("image is #{w}x#{h} px; Bedrock accepts at most #{@max_image_px} px per side")

      {w, h} when w == 0 or h == 0 ->
        invalid("image has no pixels (#{w}x#{h})")

      _ ->
        :ok
    end
  end

  @doc "The image's `{width, height}` from its header, or `nil` when it cannot be read."
  @spec dimensions(atom(), binary()) :: {non_neg_integer(), non_neg_integer()} | nil
  def dimensions(:png, <<_::binary-size(16), w::32, h::32, _::binary>>), do: {w, h}
  def dimensions(:gif, <<_::binary-size(6), w::little-16, h::little-16, _::binary>>), do: {w, h}

  def dimensions(
        :webp,
        <<"RIFF", _::binary-size(4), "WEBP", "VP8X", _::binary-size(8), w::little-24,
          h::little-24, _::binary>>
      ),
      do: {w + 1, h + 1}

  def dimensions(
        :webp,
        <<"RIFF", _::binary-size(4), "WEBP", "VP8 ", _::binary-size(10), w::little-16,
          h::little-16, _::binary>>
      ),
      do: {Bitwise.band(w, 0x3FFF), Bitwise.band(h, 0x3FFF)}

  def dimensions(
        :webp,
        <<"RIFF", _::binary-size(4), "WEBP", "VP8L", _::binary-size(4), 0x2F, b::little-32,
          _::binary>>
      ),
      do: {Bitwise.band(b, 0x3FFF) + 1, Bitwise.band(Bitwise.bsr(b, 14), 0x3FFF) + 1}

  def dimensions(:jpeg, <<0xFF, 0xD8, rest::binary>>), do: jpeg_dimensions(rest)
  def dimensions(_, _), do: nil

  # Walk the JPEG segments to the first start-of-frame marker.
  defp jpeg_dimensions(<<0xFF, marker, _len::16, _p, h::16, w::16, _::binary>>)
       when marker in 0xC0..0xCF and marker not in [0xC4, 0xC8, 0xCC],
       do: {w, h}

  defp jpeg_dimensions(<<0xFF, 0xFF, rest::binary>>), do: jpeg_dimensions(<<0xFF, rest::binary>>)

  defp jpeg_dimensions(<<0xFF, _marker, len::16, rest::binary>>) when len >= 2 do
    case rest do
      <<_::binary-size(len - 2), next::binary>> -> jpeg_dimensions(next)
      _ -> nil
    end
  end

  defp jpeg_dimensions(_), do: nil

  defp document_format(format) when is_binary(format) do
    case Enum.find(@document_formats, &(Atom.to_string(&1) == String.downcase(format))) do
      nil ->
        invalid(
          "document.format must be one of #{inspect(@document_formats)}, got: #{Aybiza.Bedrock.Options.shown(format)}"
        )

      atom ->
        {:ok, atom}
    end
  end

  defp document_format(format) when format in @document_formats, do: {:ok, format}

  defp document_format(format),
    do:
      invalid(
        "document.format must be one of #{inspect(@document_formats)}, got: #{Aybiza.Bedrock.Options.shown(format)}"
      )

  defp check_name(name) do
    if Regex.match?(~r/\A[A-Za-z0-9\-\(\)\[\]]+( [A-Za-z0-9\-\(\)\[\]]+)*\z/, name) and
         String.length(name) <= 200 do
      :ok
    else
      invalid(
        "document.name may only hold letters, digits, single spaces, hyphens, parentheses and square brackets, got: #{Aybiza.Bedrock.Options.shown(name)}"
      )
    end
  end

  # Magic bytes where the format has them; text formats are checked for valid UTF-8.
  defp check_document_magic(:pdf, <<"%PDF", _::binary>>), do: :ok

  defp check_document_magic(:pdf, _),
    do: invalid("document.format is pdf but the bytes are not a PDF")

  defp check_document_magic(f, <<"PK", 3, 4, _::binary>>) when f in [:docx, :xlsx], do: :ok

  defp check_document_magic(f, _) when f in [:docx, :xlsx],
    do: invalid("document.format is #{f} but the bytes are not an Office Open XML (zip) file")

  defp check_document_magic(f, <<0xD0, 0xCF, 0x11, 0xE0, _::binary>>) when f in [:doc, :xls],
    do: :ok

  defp check_document_magic(f, _) when f in [:doc, :xls],
    do: invalid("document.format is #{f} but the bytes are not a legacy Office file")

  defp check_document_magic(f, bytes) when f in [:csv, :html, :txt, :md] do
    if String.valid?(bytes),
      do: :ok,
      else: invalid("document.format is #{f} but the bytes are not UTF-8 text")
  end

  defp invalid(message), do: {:error, Error.new(:invalid_request, message)}

  defp unwrap!({:ok, v}), do: v
  defp unwrap!({:error, e}), do: raise(e)
end
