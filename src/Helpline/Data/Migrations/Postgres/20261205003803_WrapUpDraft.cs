using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class WrapUpDraft : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "WrapUpDraft",
                table: "Contacts",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "WrapUpDraft",
                table: "Contacts");
        }
    }
}
