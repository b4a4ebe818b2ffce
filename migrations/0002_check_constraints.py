"""Check constraints, added after the tables: Tortoise 1.1.9 drops them from CREATE TABLE (tortoise#2272)."""

from tortoise import migrations
from tortoise.migrations.constraints import CheckConstraint

from crm_graphql.migrations._operations import AddCheckConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        AddCheckConstraint(
            model_name='Campaign',
            constraint=CheckConstraint(check='CAST(budget AS NUMERIC) >= 0', name='ck_campaigns_budget'),
        ),
        AddCheckConstraint(
            model_name='Campaign',
            constraint=CheckConstraint(check='ends_on >= starts_on', name='ck_campaigns_dates'),
        ),
        AddCheckConstraint(
            model_name='Order',
            constraint=CheckConstraint(check='CAST(total AS NUMERIC) >= 0', name='ck_orders_total'),
        ),
        AddCheckConstraint(
            model_name='OrderLine',
            constraint=CheckConstraint(check='quantity > 0', name='ck_order_lines_quantity'),
        ),
        AddCheckConstraint(
            model_name='OrderLine',
            constraint=CheckConstraint(check='CAST(unit_price AS NUMERIC) >= 0', name='ck_order_lines_unit_price'),
        ),
        AddCheckConstraint(
            model_name='OrderLine',
            constraint=CheckConstraint(check='CAST(line_total AS NUMERIC) >= 0', name='ck_order_lines_line_total'),
        ),
        AddCheckConstraint(
            model_name='Product',
            constraint=CheckConstraint(check='CAST(unit_price AS NUMERIC) >= 0', name='ck_products_unit_price'),
        ),
        AddCheckConstraint(
            model_name='Ticket',
            constraint=CheckConstraint(check='satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5', name='ck_tickets_satisfaction'),
        ),
        AddCheckConstraint(
            model_name='Visit',
            constraint=CheckConstraint(check='duration_minutes > 0', name='ck_visits_duration'),
        ),
    ]
