using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RiskPhraseEdits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RiskPhraseEdits",
                columns: table => new
                {
                    Phrase = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Listed = table.Column<bool>(type: "boolean", nullable: false),
                    ChangedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ChangedByName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RiskPhraseEdits", x => x.Phrase);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RiskPhraseEdits");
        }
    }
}
