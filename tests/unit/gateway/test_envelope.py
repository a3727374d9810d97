import base64

from werkzeug.http import parse_options_header

from gateway.envelope import file_response


def downloaded(filename):
    file = {"content_type": "application/pdf", "filename": filename, "body_base64": base64.b64encode(b"%PDF").decode()}
    return file_response(file)


def test_a_plain_filename_is_sent_as_it_is():
    assert downloaded("certificate.pdf").headers["Content-Disposition"] == 'attachment; filename="certificate.pdf"'


def test_quotes_and_line_breaks_in_a_name_cannot_break_out_of_the_header():
    response = downloaded('Evil"; filename="x.exe\r\nSet-Cookie: a=b.pdf')
    header = response.headers["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert "Set-Cookie" not in response.headers
    value, options = parse_options_header(header)
    assert value == "attachment"
    assert options["filename"] == 'Evil"; filename="x.exe\r\nSet-Cookie: a=b.pdf'  # filename* carries it exactly


def test_a_name_beyond_ascii_keeps_its_letters_and_gets_an_ascii_fallback():
    header = downloaded("Certificat – Éléments.pdf").headers["Content-Disposition"]
    assert 'filename="Certificat  Elements.pdf"' in header
    assert parse_options_header(header)[1]["filename"] == "Certificat – Éléments.pdf"
