"""playhouse.pydantic_utils: schemas from models, checked against rows read back from each
engine (SQLite and PostgreSQL through the ``db`` fixture)."""
from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any, List, Literal, Optional

import pytest

pydantic = pytest.importorskip('pydantic', reason='pydantic is not installed '
                                                  '(pip install "orm[pydantic]")')

from helpers import count_queries  # noqa: E402
from orm import (SQL, BigIntegerField, BlobField, BooleanField, CharField,  # noqa: E402
                 DateField, DateTimeField, DecimalField, DoubleField, FloatField,
                 ForeignKeyField, IntegerField, JSONField, Model, SmallIntegerField,
                 TextField, TimeField, TimestampField, UUIDField, fn)
from playhouse.postgres_ext import BinaryJSONField, DateTimeTZField, IntervalField  # noqa: E402
from playhouse.pydantic_utils import to_pydantic  # noqa: E402

ValidationError = pydantic.ValidationError
BaseModel = pydantic.BaseModel


def _now() -> datetime.datetime:
    return datetime.datetime(2024, 5, 17, 9, 30)


class Author(Model):
    pen_name = CharField(verbose_name='Pen name', help_text='As printed on the cover')
    born = IntegerField()
    living = BooleanField(default=True)
    notes = TextField(null=True)
    rating = FloatField(null=True, default=2.5)
    genre = CharField(choices=[('sf', 'Science fiction'), ('crime', 'Crime'),
                               ('poetry', 'Poetry')], help_text='Main genre')
    joined = DateTimeField(default=_now)


class Book(Model):
    author = ForeignKeyField(Author, backref='books')
    title = CharField()
    pages = IntegerField(default=100)


class Review(Model):
    book = ForeignKeyField(Book, null=True, backref='reviews')
    stars = SmallIntegerField()


class Sample(Model):
    s_char = CharField()
    s_text = TextField()
    s_int = IntegerField()
    s_small = SmallIntegerField()
    s_big = BigIntegerField()
    s_float = FloatField()
    s_double = DoubleField()
    s_decimal = DecimalField(max_digits=10, decimal_places=3)
    s_bool = BooleanField()
    s_date = DateField()
    s_time = TimeField()
    s_datetime = DateTimeField()
    s_blob = BlobField()
    s_uuid = UUIDField()
    s_stamp = TimestampField()


MODELS = [Author, Book, Review, Sample]


@pytest.fixture
def models(db: Any) -> Any:
    db.bind(MODELS)
    db.create_tables(MODELS)
    yield db
    db.drop_tables(MODELS)


def _author(**extra: Any) -> Author:
    values = dict(pen_name='Ursula', born=1929, genre='sf')
    values.update(extra)
    return Author.create(**values)


# ---------------------------------------------------------------------------------------
# the generated class
# ---------------------------------------------------------------------------------------

def test_schema_class_fields_and_name() -> None:
    Schema = to_pydantic(Author)
    assert issubclass(Schema, BaseModel)
    assert Schema.__name__ == 'AuthorSchema'
    assert list(Schema.model_fields) == ['pen_name', 'born', 'living', 'notes', 'rating',
                                         'genre', 'joined']
    assert to_pydantic(Author, model_name='AuthorOut').__name__ == 'AuthorOut'
    assert 'id' in to_pydantic(Author, exclude_autofield=False).model_fields


def test_required_defaults_and_nullability() -> None:
    fields = to_pydantic(Author).model_fields
    required = {name for name, info in fields.items() if info.is_required()}
    assert required == {'pen_name', 'born', 'genre'}
    assert fields['living'].default is True
    assert fields['notes'].default is None
    assert fields['rating'].default == 2.5
    assert fields['joined'].default_factory is _now
    assert fields['notes'].annotation == Optional[str]


def test_missing_and_wrong_values_are_rejected() -> None:
    Schema = to_pydantic(Author)
    with pytest.raises(ValidationError) as info:
        Schema()
    assert {e['loc'][0] for e in info.value.errors()} == {'pen_name', 'born', 'genre'}
    with pytest.raises(ValidationError) as info:
        Schema(pen_name='x', born='nineteen', genre='sf')
    assert [e['loc'][0] for e in info.value.errors()] == ['born']


def test_choices_become_a_literal_and_are_described() -> None:
    Schema = to_pydantic(Author)
    field = Schema.model_fields['genre']
    assert field.annotation == Literal['sf', 'crime', 'poetry']
    assert field.description == ("Main genre | Choices: 'sf' = Science fiction, "
                                 "'crime' = Crime, 'poetry' = Poetry")
    assert Schema(pen_name='a', born=1, genre='crime').genre == 'crime'
    with pytest.raises(ValidationError):
        Schema(pen_name='a', born=1, genre='romance')
    assert Schema.model_json_schema()['properties']['genre']['enum'] == \
        ['sf', 'crime', 'poetry']


def test_choices_from_a_generator_survive_two_schemas() -> None:
    class Flag(Model):
        colour = CharField(choices=((c, c.title()) for c in ('red', 'green')))

    for _ in range(2):
        field = to_pydantic(Flag).model_fields['colour']
        assert field.annotation == Literal['red', 'green']
        assert "'green' = Green" in field.description


def test_plain_choice_values() -> None:
    class Size(Model):
        size = IntegerField(choices=[1, 2, 3])

    Schema = to_pydantic(Size)
    assert Schema(size=2).size == 2
    with pytest.raises(ValidationError):
        Schema(size=4)


def test_title_and_description_in_json_schema() -> None:
    props = to_pydantic(Author).model_json_schema()['properties']
    assert props['pen_name']['title'] == 'Pen name'
    assert props['pen_name']['description'] == 'As printed on the cover'
    assert {'type': 'null'} in props['notes']['anyOf']
    assert to_pydantic(Author).model_fields['born'].title is None


def test_sql_defaults_leave_the_field_required() -> None:
    class Stamped(Model):
        at = DateTimeField(default=SQL('CURRENT_TIMESTAMP'))
        n = IntegerField(default=fn.ABS(-3))

    fields = to_pydantic(Stamped).model_fields
    assert fields['at'].is_required() and fields['n'].is_required()


def test_include_and_exclude() -> None:
    assert set(to_pydantic(Author, include='born').model_fields) == {'born'}
    assert set(to_pydantic(Author, include=[Author.born, 'genre']).model_fields) == \
        {'born', 'genre'}
    assert 'notes' not in to_pydantic(Author, exclude=Author.notes).model_fields
    assert set(to_pydantic(Author, include={'born', 'genre'},
                           exclude={'genre'}).model_fields) == {'born'}
    for key in ('author', 'author_id', Book.author):
        assert set(to_pydantic(Book, exclude=key).model_fields) == {'title', 'pages'}
        assert set(to_pydantic(Book, include=[key]).model_fields) == {'author_id'}
    with pytest.raises(ValueError):
        to_pydantic(Author, exclude=[3.5])


def test_base_model_keeps_its_own_fields_and_config() -> None:
    class Base(BaseModel):
        model_config = pydantic.ConfigDict(str_strip_whitespace=True)
        source: str = 'catalogue'

    Schema = to_pydantic(Author, include=['pen_name'], base_model=Base)
    assert issubclass(Schema, Base)
    item = Schema(pen_name='  Le Guin ')
    assert item.model_dump() == {'source': 'catalogue', 'pen_name': 'Le Guin'}
    # from_attributes is switched on even though the base did not ask for it
    assert Schema.model_validate(Author(pen_name='Tolkien')).pen_name == 'Tolkien'
    with pytest.raises(TypeError):
        to_pydantic(Author, base_model=dict)


def test_not_a_model() -> None:
    with pytest.raises(TypeError):
        to_pydantic(Author.pen_name)


def test_foreign_key_types() -> None:
    class Code(Model):
        code = CharField(primary_key=True)

    class Usage(Model):
        code = ForeignKeyField(Code)
        parent = ForeignKeyField('self', null=True)

    fields = to_pydantic(Usage).model_fields
    assert fields['code_id'].annotation is str
    assert fields['parent_id'].annotation == Optional[int]
    assert fields['parent_id'].default is None


def test_relationship_keys_are_checked() -> None:
    class Flat(BaseModel):
        title: str

    for key in ('books', Author, Author.born, Book.author):
        with pytest.raises(ValueError):
            to_pydantic(Author, relationships={key: List[Flat]})
    with pytest.raises(ValueError, match='List'):
        to_pydantic(Author, relationships={Author.books: Flat})


def test_relationships_and_filters() -> None:
    Brief = to_pydantic(Author, include=['pen_name'])
    Schema = to_pydantic(Book, include=['title'], relationships={Book.author: Brief})
    assert set(Schema.model_fields) == {'author', 'title'}
    Schema = to_pydantic(Book, exclude=['author_id'], relationships={Book.author: Brief})
    assert set(Schema.model_fields) == {'title', 'pages'}
    Titles = to_pydantic(Book, include=['title'])
    Schema = to_pydantic(Author, include=['born'], exclude=[Author.books],
                         relationships={Author.books: List[Titles]})
    assert set(Schema.model_fields) == {'born'}


def test_json_field_takes_any_document() -> None:
    class Doc(Model):
        body = JSONField()
        extra = JSONField(null=True)

    Schema = to_pydantic(Doc)
    assert Schema.model_fields['body'].is_required()
    for value in ({'k': [1, 2]}, ['x'], 'text', 7, None):
        assert Schema(body=value).body == value


# ---------------------------------------------------------------------------------------
# validating rows read back from each engine
# ---------------------------------------------------------------------------------------

def test_validate_instance_and_round_trip(models: Any) -> None:
    Schema = to_pydantic(Author)
    stored = _author(notes='wrote novels')
    row = Author.get_by_id(stored.id)
    data = Schema.model_validate(row)
    assert data.model_dump() == {'pen_name': 'Ursula', 'born': 1929, 'living': True,
                                 'notes': 'wrote novels', 'rating': 2.5, 'genre': 'sf',
                                 'joined': _now()}
    copy = Author.create(**data.model_dump())
    again = Author.get_by_id(copy.id)
    assert (again.pen_name, again.notes, again.joined) == ('Ursula', 'wrote novels', _now())
    assert Schema.model_validate(data.model_dump()) == data


def test_every_column_type_round_trips(models: Any) -> None:
    values = dict(
        s_char='c', s_text='t' * 300, s_int=-7, s_small=12, s_big=2 ** 40,
        s_float=1.5, s_double=2.25, s_decimal=decimal.Decimal('12.345'), s_bool=True,
        s_date=datetime.date(2020, 2, 29), s_time=datetime.time(23, 59, 1),
        s_datetime=datetime.datetime(2021, 1, 2, 3, 4, 5), s_blob=b'\x00\xffdata',
        s_uuid=uuid.UUID('12345678-1234-5678-1234-567812345678'),
        s_stamp=datetime.datetime(2022, 6, 1, 12, 0, 0))
    Schema = to_pydantic(Sample)
    checked = Schema(**values)
    Sample.create(**checked.model_dump())
    row = Sample.select().get()
    data = Schema.model_validate(row).model_dump()
    data['s_blob'] = bytes(data['s_blob'])
    assert data == values


def test_flat_foreign_key_from_instance(models: Any) -> None:
    Schema = to_pydantic(Book, exclude_autofield=False)
    author = _author()
    book = Book.create(author=author, title='The Dispossessed')
    fetched = Book.get_by_id(book.id)
    with count_queries(models) as counter:
        data = Schema.model_validate(fetched)
    assert counter.count == 0, counter
    assert data.model_dump() == {'id': book.id, 'author_id': author.id,
                                 'title': 'The Dispossessed', 'pages': 100}
    made = Book(**data.model_dump(exclude={'id'}))
    assert made.author.pen_name == 'Ursula'


def test_nested_foreign_key_loads_or_reuses_the_join(models: Any) -> None:
    AuthorOut = to_pydantic(Author, exclude_autofield=False)
    BookOut = to_pydantic(Book, relationships={Book.author: AuthorOut})
    author = _author()
    Book.create(author=author, title='Lathe of Heaven')

    book = Book.select().get()
    with count_queries(models) as counter:
        data = BookOut.model_validate(book)
    assert counter.count == 1, counter
    assert data.author.id == author.id and data.author.pen_name == 'Ursula'

    joined = Book.select(Book, Author).join(Author).get()
    with count_queries(models) as counter:
        again = BookOut.model_validate(joined)
    assert counter.count == 0, counter
    assert again == data
    with pytest.raises(ValidationError):
        BookOut(author=author.id, title='x')


def test_nullable_nested_foreign_key(models: Any) -> None:
    BookOut = to_pydantic(Book, include=['title'])
    ReviewOut = to_pydantic(Review, relationships={Review.book: BookOut})
    assert not ReviewOut.model_fields['book'].is_required()
    book = Book.create(author=_author(), title='Earthsea')
    Review.create(book=None, stars=2)
    Review.create(book=book, stars=5)
    out = [ReviewOut.model_validate(r).model_dump()
           for r in Review.select().order_by(Review.stars)]
    assert out == [{'book': None, 'stars': 2}, {'book': {'title': 'Earthsea'}, 'stars': 5}]


def test_back_reference_lazy_and_prefetched(models: Any) -> None:
    BookOut = to_pydantic(Book, exclude={'author'})
    AuthorOut = to_pydantic(Author, include=['pen_name'],
                            relationships={Author.books: List[BookOut]})
    author = _author()
    for title, pages in (('A', 10), ('B', 20)):
        Book.create(author=author, title=title, pages=pages)
    _author(pen_name='Nobody')

    with count_queries(models) as counter:
        data = AuthorOut.model_validate(Author.get_by_id(author.id))
    assert counter.count == 2, counter   # the author, then the books
    assert sorted(b.title for b in data.books) == ['A', 'B']

    authors = Author.select().order_by(Author.id).prefetch(Book.select().order_by(Book.id))
    with count_queries(models) as counter:
        dumped = [AuthorOut.model_validate(a).model_dump() for a in authors]
    assert counter.count == 0, counter
    assert dumped == [
        {'pen_name': 'Ursula', 'books': [{'title': 'A', 'pages': 10},
                                         {'title': 'B', 'pages': 20}]},
        {'pen_name': 'Nobody', 'books': []}]
    assert AuthorOut(pen_name='x').books == []
    with pytest.raises(ValidationError):
        AuthorOut(pen_name='x', books=[{'pages': 'many'}])


def test_postgres_types(pg_db: Any) -> None:
    db = pg_db
    class Event(Model):
        payload = BinaryJSONField()
        length = IntervalField()
        at = DateTimeTZField()

        class Meta:
            database = db

    db.create_tables([Event])
    Schema = to_pydantic(Event)
    annotations = {n: f.annotation for n, f in Schema.model_fields.items()}
    assert annotations == {'payload': Any, 'length': datetime.timedelta,
                           'at': datetime.datetime}
    at = datetime.datetime(2024, 1, 1, 8, tzinfo=datetime.timezone.utc)
    Event.create(**Schema(payload={'tags': ['a', 'b']}, length=datetime.timedelta(hours=2),
                          at=at).model_dump())
    data = Schema.model_validate(Event.get()).model_dump()
    assert data == {'payload': {'tags': ['a', 'b']}, 'length': datetime.timedelta(hours=2),
                    'at': at}


def test_import_without_pydantic_says_what_to_install() -> None:
    import os
    import pathlib
    import subprocess
    import sys
    root = pathlib.Path(__file__).resolve().parent.parent
    code = 'import sys; sys.modules["pydantic"] = None\nimport playhouse.pydantic_utils\n'
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(root)), timeout=120)
    assert result.returncode != 0
    assert 'ImportError' in result.stderr
    assert 'pip install "orm[pydantic]"' in result.stderr
